import { z } from "@hono/zod-openapi";

/**
 * The rule every string in a request body follows: no control characters (Unicode category Cc:
 * U+0000–U+001F, U+007F–U+009F). Only multi-line text (`advanced_config`, descriptions) may hold tab,
 * line feed and carriage return. The patterns are written with `\x` ranges, not `\p{Cc}`, so that
 * they mean the same in the OpenAPI document to every generated client's regex engine.
 * (Invalid UTF-8 and lone surrogates never reach a schema: the json-body middleware refuses them.)
 */
// eslint-disable-next-line no-control-regex -- naming the control characters is the point
export const SINGLE_LINE = /^[^\x00-\x1F\x7F-\x9F]*$/;
// eslint-disable-next-line no-control-regex -- as above
const MULTI_LINE = /^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$/;

const SINGLE_LINE_MESSAGE = "must not contain control characters (U+0000–U+001F, U+007F–U+009F)";

/** A name, title or other one-line text of at most `max` characters. */
export const singleLine = (max: number) => z.string().max(max).regex(SINGLE_LINE, SINGLE_LINE_MESSAGE);

/** Text of several lines (configuration, descriptions): LF or CRLF line breaks and tabs allowed, no other control character. */
export const multiLine = (max: number) =>
  z.string().max(max).regex(MULTI_LINE, "must not contain control characters other than tab, line feed and carriage return");

/**
 * SINGLE_LINE with at least one character that is not white space (what `String.prototype.trim`
 * removes, less the control characters SINGLE_LINE already refuses): the server trims a display
 * name and refuses what is left empty ("name: must not be empty"). Only the document states it
 * this way; the service's check keeps its message.
 */
// eslint-disable-next-line no-control-regex -- as above
export const NOT_BLANK_SINGLE_LINE = /^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF][^\x00-\x1F\x7F-\x9F]*$/;

/** A display name of at most `max` characters that is not blank once trimmed (providers, credentials). */
export const displayName = (max: number) => singleLine(max).openapi({ pattern: NOT_BLANK_SINGLE_LINE.source });

// eslint-disable-next-line no-control-regex -- as above
const CONTROL_BUT_LINES = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]/g;

/**
 * Text for a file a person opens (the CSV export): control characters other than tab and line
 * breaks written out as `\u0000`, so that an entry stored before this rule cannot carry a NUL or a
 * terminal escape into a spreadsheet or a shell.
 */
export function visibleControlCharacters(text: string): string {
  return text.replace(CONTROL_BUT_LINES, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
