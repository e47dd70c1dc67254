import {
  parseWorkMessage,
  wholeDelaySeconds,
  type WorkHandler,
  type WorkLogger,
  type WorkMessage,
  type WorkQueue,
} from "@charon/core";
import { systemTimers, type Timers } from "./timers.js";

export interface InProcessWorkQueueOptions {
  /** Handlers running at once (default 4). */
  concurrency?: number;
  /** Deliveries of a message before it is dead-lettered, as SQS's redrive policy (default 5). */
  maxReceiveCount?: number;
  /**
   * Seconds before a message whose handler threw is delivered again, by how many times it has
   * been received so far (default 5 s doubling per receive, at most 900 s).
   */
  retryDelaySeconds?: (receiveCount: number) => number;
  timers?: Timers;
  logger?: WorkLogger;
}

interface Entry {
  /** The JSON body, so every delivery gets its own copy, as from SQS. */
  body: string;
  receiveCount: number;
}

const defaultRetryDelaySeconds = (receiveCount: number) => Math.min(5 * 2 ** (receiveCount - 1), 900);

/**
 * `WorkQueue` for `npm start`: messages live in memory, delayed ones behind (unref'd) timers, and
 * `start(handler)` consumes them with bounded concurrency. A handler that throws gets its message
 * back after a backoff, up to `maxReceiveCount` deliveries; then the message is logged as
 * dead-lettered and dropped. Nothing survives a restart: on start-up the local runtime resumes
 * unfinished orders from the data store, as SQS's persistence would.
 */
export class InProcessWorkQueue implements WorkQueue {
  private readonly concurrency: number;
  private readonly maxReceiveCount: number;
  private readonly retryDelaySeconds: (receiveCount: number) => number;
  private readonly timers: Timers;
  private readonly logger: WorkLogger | undefined;
  private readonly ready: Entry[] = [];
  private readonly waiting = new Set<unknown>();
  private readonly inFlight = new Set<Promise<void>>();
  private handler: WorkHandler | undefined;
  private stopped = false;

  constructor(options: InProcessWorkQueueOptions = {}) {
    this.concurrency = options.concurrency ?? 4;
    this.maxReceiveCount = options.maxReceiveCount ?? 5;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${this.concurrency}`);
    }
    if (!Number.isInteger(this.maxReceiveCount) || this.maxReceiveCount < 1) {
      throw new RangeError(`maxReceiveCount must be a positive integer, got ${this.maxReceiveCount}`);
    }
    this.retryDelaySeconds = options.retryDelaySeconds ?? defaultRetryDelaySeconds;
    this.timers = options.timers ?? systemTimers;
    this.logger = options.logger;
  }

  /** Delivers no sooner than `delaySeconds` (rounded up) from now; RangeError above 900. */
  async send(message: WorkMessage, options?: { delaySeconds?: number }): Promise<void> {
    const delaySeconds = wholeDelaySeconds(options?.delaySeconds);
    // A message sent while stopping (a follow-up of an in-flight handler) is dropped with the
    // rest of the queue; its order is resumed from the data store on the next start.
    if (this.stopped) return;
    this.enqueue({ body: JSON.stringify(message), receiveCount: 0 }, delaySeconds);
  }

  /** Starts delivering to `handler`, including what was sent before. Call once. */
  start(handler: WorkHandler): void {
    if (this.handler) throw new Error("the in-process work queue is already started");
    if (this.stopped) throw new Error("the in-process work queue is stopped");
    this.handler = handler;
    this.pump();
  }

  /** Stops delivering, drops waiting messages, and resolves once running handlers finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const handle of this.waiting) this.timers.clearTimeout(handle);
    this.waiting.clear();
    this.ready.length = 0;
    await Promise.all(this.inFlight);
  }

  private enqueue(entry: Entry, delaySeconds: number): void {
    if (delaySeconds === 0) {
      this.ready.push(entry);
      // Not synchronously: a handler never runs inside the `send` that queued its message.
      queueMicrotask(() => this.pump());
      return;
    }
    const handle = this.timers.setTimeout(() => {
      this.waiting.delete(handle);
      this.ready.push(entry);
      this.pump();
    }, delaySeconds * 1000);
    this.waiting.add(handle);
  }

  private pump(): void {
    const handler = this.handler;
    while (handler && !this.stopped && this.inFlight.size < this.concurrency && this.ready.length > 0) {
      const entry = this.ready.shift() as Entry;
      const delivery = this.deliver(handler, entry).finally(() => {
        this.inFlight.delete(delivery);
        this.pump();
      });
      this.inFlight.add(delivery);
    }
  }

  private async deliver(handler: WorkHandler, entry: Entry): Promise<void> {
    entry.receiveCount++;
    const parsed = parseWorkMessage(entry.body);
    if ("problem" in parsed) {
      this.logger?.error("dropped a malformed work message", { reason: parsed.problem });
      return;
    }
    try {
      await handler(parsed.message);
    } catch (error) {
      const details = { ...parsed.message, receiveCount: entry.receiveCount, error: describe(error) };
      if (entry.receiveCount >= this.maxReceiveCount) {
        this.logger?.error("work message dead-lettered", details);
        return;
      }
      const retryInSeconds = wholeDelaySeconds(this.retryDelaySeconds(entry.receiveCount));
      this.logger?.warn("work message failed; it will be delivered again", { ...details, retryInSeconds });
      if (!this.stopped) this.enqueue(entry, retryInSeconds);
    }
  }
}

/** The error's name and message; handlers' errors never carry secrets (they are logged anyway). */
function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
