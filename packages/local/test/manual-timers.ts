import type { Timers } from "@charon/local";

/** Timers whose clock moves only when a test says so; due callbacks run in time order. */
export class ManualTimers implements Timers {
  private time: number;
  private sequence = 0;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();

  constructor(start = Date.parse("2026-01-04T15:30:00Z")) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = ++this.sequence;
    this.pending.set(handle, { at: this.time + Math.max(0, ms), callback });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** When the next timer is due, if any. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const { at } of this.pending.values()) if (next === undefined || at < next) next = at;
    return next;
  }

  /**
   * Moves the clock forward by `ms`, firing every timer due on the way at its own time, and
   * lets the work each one starts settle before the next.
   */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    await settle();
    for (let due = this.nextDue(); due !== undefined && due <= until; due = this.nextDue()) {
      this.time = due;
      for (const [handle, timer] of [...this.pending].sort((a, b) => a[1].at - b[1].at || a[0] - b[0])) {
        if (timer.at > due) break;
        this.pending.delete(handle);
        timer.callback();
      }
      await settle();
    }
    this.time = until;
    await settle();
  }
}

/** Lets queued promise callbacks and I/O callbacks run (one turn of the event loop). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
