import { describe, expect, it } from "vitest";
import type { WorkLogger, WorkMessage } from "@charon/core";
import { InProcessWorkQueue, systemTimers } from "@charon/local";
import { workQueueContract, type WorkQueueFixture } from "../../../test/contracts/work-queue.contract.js";
import { ManualTimers, settle } from "./manual-timers.js";

/** A logger that keeps what it is given, to read what the queue reports. */
function capturingLogger(): WorkLogger & { entries: Array<{ level: string; message: string; extra: Record<string, unknown> }> } {
  const entries: Array<{ level: string; message: string; extra: Record<string, unknown> }> = [];
  return {
    entries,
    warn: (message, ...extra) => entries.push({ level: "warn", message, extra: Object.assign({}, ...extra) }),
    error: (message, ...extra) => entries.push({ level: "error", message, extra: Object.assign({}, ...extra) }),
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const advance = (certificateId: number): WorkMessage => ({ kind: "certificate.advance", certificateId });
/** The certificate of a test message (every one these tests send is a `certificate.advance`). */
const idOf = (message: WorkMessage): number => ("certificateId" in message ? message.certificateId : Number.NaN);

workQueueContract("InProcessWorkQueue", async (): Promise<WorkQueueFixture> => {
  const timers = new ManualTimers();
  const logger = capturingLogger();
  const maxReceiveCount = 3;
  const queue = new InProcessWorkQueue({ timers, logger, maxReceiveCount, concurrency: 4 });
  return {
    queue,
    consume: (handler) => queue.start(handler),
    now: () => timers.now(),
    maxReceiveCount,
    async until(done, what) {
      // Runs what is ready, then jumps the clock to the next timer, until done or nothing is left.
      for (let idle = 0; idle < 5; ) {
        await settle();
        if (await done()) return;
        const due = timers.nextDue();
        if (due === undefined) idle++;
        else await timers.advance(due - timers.now());
      }
      throw new Error(`the queue went idle before: ${what}`);
    },
    deadLettered: async () =>
      logger.entries
        .filter((e) => e.message === "work message dead-lettered")
        .map((e) => ({ kind: e.extra["kind"], certificateId: e.extra["certificateId"] }) as WorkMessage),
    stop: () => queue.stop(),
  };
});

describe("InProcessWorkQueue", () => {
  it("runs at most `concurrency` handlers at once and starts the next as one finishes", async () => {
    const queue = new InProcessWorkQueue({ concurrency: 2, timers: new ManualTimers() });
    const gates = new Map<number, ReturnType<typeof deferred>>();
    const running = new Set<number>();
    let most = 0;
    queue.start(async (message) => {
      const certificateId = idOf(message);
      running.add(certificateId);
      most = Math.max(most, running.size);
      const gate = deferred();
      gates.set(certificateId, gate);
      await gate.promise;
      running.delete(certificateId);
    });
    for (const id of [1, 2, 3, 4, 5]) await queue.send(advance(id));
    await settle();
    expect([...running]).toEqual([1, 2]);

    gates.get(1)?.resolve();
    await settle();
    expect([...running].sort()).toEqual([2, 3]);

    for (const id of [2, 3, 4, 5]) {
      gates.get(id)?.resolve();
      await settle();
    }
    expect(running.size).toBe(0);
    expect(most).toBe(2);
    await queue.stop();
  });

  it("keeps messages sent before start until a handler is attached", async () => {
    const timers = new ManualTimers();
    const queue = new InProcessWorkQueue({ timers });
    await queue.send(advance(1));
    await queue.send(advance(2), { delaySeconds: 10 });
    await timers.advance(10_000);
    const received: number[] = [];
    queue.start(async (message) => void received.push(idOf(message)));
    await settle();
    expect(received).toEqual([1, 2]);
    await queue.stop();
  });

  it("backs off before each redelivery, doubling from the first retry delay", async () => {
    const timers = new ManualTimers();
    const logger = capturingLogger();
    const queue = new InProcessWorkQueue({ timers, logger, maxReceiveCount: 4 });
    const deliveredAt: number[] = [];
    const start = timers.now();
    queue.start(async () => {
      deliveredAt.push(timers.now() - start);
      throw new Error("CA unavailable");
    });
    await queue.send(advance(1));
    await timers.advance(3_600_000);
    expect(deliveredAt).toEqual([0, 5_000, 15_000, 35_000]);
    expect(logger.entries.map((e) => [e.level, e.message, e.extra["retryInSeconds"]])).toEqual([
      ["warn", "work message failed; it will be delivered again", 5],
      ["warn", "work message failed; it will be delivered again", 10],
      ["warn", "work message failed; it will be delivered again", 20],
      ["error", "work message dead-lettered", undefined],
    ]);
    expect(logger.entries[3]?.extra).toMatchObject({ certificateId: 1, receiveCount: 4, error: "Error: CA unavailable" });
    await queue.stop();
  });

  it("stop() waits for running handlers, then delivers nothing more", async () => {
    const timers = new ManualTimers();
    const queue = new InProcessWorkQueue({ timers });
    const gate = deferred();
    const received: number[] = [];
    let finished = false;
    queue.start(async (message) => {
      const certificateId = idOf(message);
      received.push(certificateId);
      if (certificateId === 1) {
        await gate.promise;
        // A follow-up sent while stopping is accepted (the handler must not fail) but dropped.
        await queue.send(advance(3));
        finished = true;
      }
    });
    await queue.send(advance(1));
    await queue.send(advance(2), { delaySeconds: 60 });
    await settle();

    let stopped = false;
    const stopping = queue.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(finished).toBe(true);

    await timers.advance(3_600_000);
    expect(timers.nextDue()).toBeUndefined();
    expect(received).toEqual([1]);
  });

  it("refuses a bad concurrency or receive count when built", () => {
    expect(() => new InProcessWorkQueue({ concurrency: 0 })).toThrow(/concurrency must be a positive integer/);
    expect(() => new InProcessWorkQueue({ maxReceiveCount: 1.5 })).toThrow(/maxReceiveCount must be a positive integer/);
  });
});

describe("systemTimers", () => {
  it("never keeps the process alive for a delayed message", () => {
    const handle = systemTimers.setTimeout(() => {}, 900_000) as NodeJS.Timeout;
    expect(handle.hasRef()).toBe(false);
    systemTimers.clearTimeout(handle);
  });
});
