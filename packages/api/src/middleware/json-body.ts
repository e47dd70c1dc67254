import { ValidationError } from "@charon/core/errors";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.js";

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;
// A UTF-16 code unit of a surrogate pair standing alone: JSON's "\ud800" escape makes one.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Decodes a JSON body once, here: as UTF-8 with `fatal` set, so that invalid bytes are a 400
 * instead of silently becoming U+FFFD, and refuses a string or key holding a lone surrogate
 * (`"\ud800"`), which is not text and which no store or proxy could keep. The routes' validators
 * then parse the decoded text (Hono's body cache); a body that is not JSON is left for them to refuse.
 */
export function jsonBody(): MiddlewareHandler<AppEnv> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD" || !JSON_TYPE.test(c.req.header("Content-Type") ?? "")) {
      return next();
    }
    let text: string;
    try {
      text = decoder.decode(await c.req.arrayBuffer());
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      throw new ValidationError("body: is not valid UTF-8: send JSON text encoded as UTF-8 (RFC 8259 §8.1)");
    }
    const problem = loneSurrogateIn(parsedOrUndefined(text), []);
    if (problem !== null) {
      const where = problem.length > 0 ? problem.join(".") : "body";
      throw new ValidationError(`${where}: contains a lone surrogate (an unpaired \\ud800-\\udfff escape), which is not text`);
    }
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
    await next();
  };
}

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The path of the first string or key holding a lone surrogate; null when there is none. */
function loneSurrogateIn(value: unknown, path: (string | number)[]): (string | number)[] | null {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? path : null;
  if (value === null || typeof value !== "object") return null;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, item] of entries) {
    if (typeof key === "string" && LONE_SURROGATE.test(key)) return [...path, key];
    const found = loneSurrogateIn(item, [...path, key]);
    if (found !== null) return found;
  }
  return null;
}
