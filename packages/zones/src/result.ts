/**
 * The outcome of checking user input. Bad input is an expected outcome here, not an exception:
 * callers must handle it, and the control plane and the agent turn it into their own responses.
 */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });
