/** What the entry points need of a logger; they pass Powertools' Logger (JSON lines). */
export interface Logger {
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

/** A `Logger` whose lines may still be on their way: `flushed()` resolves once all are written. */
export interface DeferredLogger extends Logger {
  flushed(): Promise<void>;
}

/**
 * A logger built by `create` on the first line logged, not before: on Lambda, importing and
 * building Powertools' Logger costs ~0.3x a hello-world handler's whole cold start
 * (docs/decisions/0016-cold-start-what-loads-first.md), which a request that logs nothing (a
 * health check, a duplicate delivery) does not need. Lines logged while it is being built are
 * written, in order, once it is. A Lambda handler awaits `flushed()` before it returns, so that
 * no line is left behind in an execution environment frozen after its answer; `flushed()`
 * rejects if `create` failed.
 */
export function deferredLogger(create: () => Promise<Logger>): DeferredLogger {
  let logger: Logger | undefined;
  let building: Promise<void> | undefined;
  const waiting: Array<(logger: Logger) => void> = [];
  const build = () =>
    (building ??= create().then((created) => {
      logger = created;
      for (const write of waiting.splice(0)) write(created);
    }));
  const level =
    (name: keyof Logger) =>
    (message: string, ...extra: Array<Record<string, unknown>>) => {
      if (logger) return logger[name](message, ...extra);
      waiting.push((created) => created[name](message, ...extra));
      // A failure surfaces through flushed(), which the handler awaits.
      build().catch(() => undefined);
    };
  return {
    info: level("info"),
    warn: level("warn"),
    error: level("error"),
    flushed: () => building ?? Promise.resolve(),
  };
}
