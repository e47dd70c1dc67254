/**
 * The Lambda functions' logger is built on the first line logged (`deferredLogger`): no line is
 * lost or reordered on the way, the logger is built once, and a handler that awaits `flushed()`
 * returns only after every line so far is written.
 */
import { describe, expect, it } from "vitest";
import { deferredLogger, type Logger } from "@charon/runtime/logger";

/** A logger that records its lines, built when `release` is called (as an import finishes later). */
function slowLogger() {
  const lines: string[] = [];
  let builds = 0;
  let release!: () => void;
  const ready = new Promise<void>((resolve) => (release = resolve));
  const create = async (): Promise<Logger> => {
    builds++;
    await ready;
    return {
      info: (message, ...extra) => lines.push(`info ${message} ${JSON.stringify(extra)}`),
      warn: (message, ...extra) => lines.push(`warn ${message} ${JSON.stringify(extra)}`),
      error: (message, ...extra) => lines.push(`error ${message} ${JSON.stringify(extra)}`),
    };
  };
  return { lines, builds: () => builds, release, create };
}

describe("deferredLogger", () => {
  it("builds nothing until a line is logged, and is flushed at once when none was", async () => {
    const slow = slowLogger();
    const logger = deferredLogger(slow.create);
    await logger.flushed();
    expect(slow.builds()).toBe(0);
  });

  it("writes the lines logged while it was being built, in order, once, before flushed() resolves", async () => {
    const slow = slowLogger();
    const logger = deferredLogger(slow.create);
    logger.info("first", { a: 1 });
    logger.error("second");
    logger.warn("third", { b: 2 }, { c: 3 });
    let flushed = false;
    const flushing = logger.flushed().then(() => (flushed = true));
    await Promise.resolve();
    expect(slow.lines).toEqual([]);
    expect(flushed).toBe(false);
    slow.release();
    await flushing;
    expect(slow.lines).toEqual(['info first [{"a":1}]', "error second []", 'warn third [{"b":2},{"c":3}]']);
    logger.info("fourth");
    expect(slow.lines.at(-1)).toBe("info fourth []");
    expect(slow.builds()).toBe(1);
  });

  it("makes flushed() fail when the logger cannot be built, so that the handler's answer does too", async () => {
    const logger = deferredLogger(() => Promise.reject(new Error("the logger's chunk is missing")));
    logger.error("lost");
    await expect(logger.flushed()).rejects.toThrow("the logger's chunk is missing");
  });
});
