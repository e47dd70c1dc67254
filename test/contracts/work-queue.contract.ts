import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WorkHandler, WorkMessage, WorkQueue } from "@charon/core";

/**
 * A queue with a consumer attached, as one adapter runs it: the in-process queue with injected
 * timers, or SQS on moto with a test consumer standing in for Lambda's event source mapping.
 */
export interface WorkQueueFixture {
  queue: WorkQueue;
  /** Starts delivering messages to `handler`. */
  consume(handler: WorkHandler): void;
  /** The clock delays are measured on, in ms: the injected one, or the wall clock for moto. */
  now(): number;
  /** Lets the queue deliver until `done()` holds; fails naming `what` if it never does. */
  until(done: () => boolean | Promise<boolean>, what: string): Promise<void>;
  /** Every message dead-lettered so far. */
  deadLettered(): Promise<WorkMessage[]>;
  /** Deliveries of a message whose handler always throws, before it is dead-lettered. */
  maxReceiveCount: number;
  /** Stops the consumer; resolves when its handlers have finished. */
  stop(): Promise<void>;
}

const advance = (certificateId: number): WorkMessage => ({ kind: "certificate.advance", certificateId });
/** The certificate a test message is about (every message these tests send is a `certificate.advance`). */
const idOf = (message: WorkMessage): number => ("certificateId" in message ? message.certificateId : Number.NaN);

/** Records each delivery (which certificate, when on the fixture's clock) before running `then`. */
function recorder(fixture: WorkQueueFixture, then: (message: WorkMessage, delivery: number) => Promise<void> = async () => {}) {
  const deliveries: Array<{ certificateId: number; at: number }> = [];
  const count = (certificateId: number) => deliveries.filter((d) => d.certificateId === certificateId).length;
  const handler: WorkHandler = async (message) => {
    deliveries.push({ certificateId: idOf(message), at: fixture.now() });
    await then(message, count(idOf(message)));
  };
  return { deliveries, count, handler };
}

/**
 * What every WorkQueue adapter must do with its consumer, registered as vitest tests.
 * `makeFixture` returns a queue no other test uses.
 */
export function workQueueContract(adapter: string, makeFixture: () => Promise<WorkQueueFixture>): void {
  describe(`${adapter}: WorkQueue contract`, () => {
    let fixture: WorkQueueFixture;
    beforeEach(async () => {
      fixture = await makeFixture();
    });
    afterEach(async () => {
      await fixture.stop();
    });

    it("delivers every message sent, with its body as sent", async () => {
      const received: WorkMessage[] = [];
      fixture.consume(async (message) => {
        received.push(message);
      });
      for (const id of [1, 2, 3, 4, 5]) await fixture.queue.send(advance(id));
      await fixture.until(() => received.length >= 5, "all five messages delivered");
      expect([...received].sort((a, b) => idOf(a) - idOf(b))).toEqual([1, 2, 3, 4, 5].map(advance));
    });

    it("delivers a delayed message no sooner than its delay, rounded up to whole seconds", async () => {
      const { deliveries, count, handler } = recorder(fixture);
      fixture.consume(handler);
      const sentAt = fixture.now();
      await fixture.queue.send(advance(1), { delaySeconds: 2 });
      await fixture.queue.send(advance(2), { delaySeconds: 1.2 });
      await fixture.queue.send(advance(3));
      await fixture.until(() => count(1) > 0 && count(2) > 0 && count(3) > 0, "all three messages delivered");

      const firstAt = (id: number) => deliveries.find((d) => d.certificateId === id)?.at ?? Number.NaN;
      expect(firstAt(1)).toBeGreaterThanOrEqual(sentAt + 2000);
      expect(firstAt(2)).toBeGreaterThanOrEqual(sentAt + 2000);
      expect(deliveries[0]?.certificateId).toBe(3);
    });

    it("refuses a delay SQS cannot express", async () => {
      await expect(fixture.queue.send(advance(1), { delaySeconds: 901 })).rejects.toThrow(RangeError);
      await expect(fixture.queue.send(advance(1), { delaySeconds: -1 })).rejects.toThrow(RangeError);
      await expect(fixture.queue.send(advance(1), { delaySeconds: Number.NaN })).rejects.toThrow(RangeError);
    });

    it("delivers a message again after its handler throws", async () => {
      const done: number[] = [];
      const { count, handler } = recorder(fixture, async (message, delivery) => {
        if (delivery === 1) throw new Error("the CA timed out");
        done.push(idOf(message));
      });
      fixture.consume(handler);
      await fixture.queue.send(advance(7));
      await fixture.until(() => done.length > 0, "the message handled after one failure");
      expect(count(7)).toBe(2);
      expect(done).toEqual([7]);
    });

    it("is at least once: an idempotent handler does the work once across duplicates and crashes", async () => {
      const issuedFor = new Set<number>();
      const { count, handler } = recorder(fixture, async (message, delivery) => {
        // Idempotent: the work is recorded by certificate, so a second delivery finds it done.
        issuedFor.add(idOf(message));
        // A worker that dies after doing the work but before acknowledging the message.
        if (idOf(message) === 21 && delivery === 1) throw new Error("worker killed");
      });
      fixture.consume(handler);
      await fixture.queue.send(advance(20));
      await fixture.queue.send(advance(20));
      await fixture.queue.send(advance(21));
      // Both copies of the duplicate arrive (no queue here deduplicates), and the crashed one again.
      await fixture.until(() => count(20) >= 2 && count(21) >= 2, "duplicates and the redelivery handled");
      expect([...issuedFor].sort()).toEqual([20, 21]);
    });

    it("redelivers only the messages that failed, not the others handled alongside", async () => {
      const { count, handler } = recorder(fixture, async (message, delivery) => {
        if (idOf(message) === 33 && delivery === 1) throw new Error("DNS provider refused");
      });
      for (const id of [31, 32, 33, 34, 35]) await fixture.queue.send(advance(id));
      fixture.consume(handler);
      await fixture.until(() => count(33) >= 2 && [31, 32, 34, 35].every((id) => count(id) > 0), "every message handled");
      // Nothing else was failed, so nothing else comes back: a second look finds the same counts.
      await fixture.queue.send(advance(36));
      await fixture.until(() => count(36) > 0, "a later message handled");
      expect([31, 32, 33, 34, 35, 36].map(count)).toEqual([1, 1, 2, 1, 1, 1]);
    });

    it("dead-letters a message that fails every delivery, and goes on with the others", async () => {
      const { count, handler } = recorder(fixture, async (message) => {
        if (idOf(message) === 9) throw new Error("always fails");
      });
      fixture.consume(handler);
      await fixture.queue.send(advance(9));
      await fixture.queue.send(advance(10));
      await fixture.until(
        async () => (await fixture.deadLettered()).some((m) => idOf(m) === 9),
        "the failing message dead-lettered",
      );
      expect(count(9)).toBe(fixture.maxReceiveCount);
      expect(count(10)).toBe(1);
      expect(await fixture.deadLettered()).toEqual([advance(9)]);
    });
  });
}
