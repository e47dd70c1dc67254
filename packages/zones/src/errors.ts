import { err, type Result } from "./result.js";

/**
 * Validation errors, shaped like the API's 400 bodies: `title` is the body's `error`, `details`
 * tells a person what to change, `code` is for programs.
 */

export type NameErrorCode =
  | "empty_name"
  | "empty_label"
  | "misplaced_wildcard"
  | "invalid_character"
  | "invalid_idna"
  | "hyphen_at_label_edge"
  | "label_too_long"
  | "name_too_long";

export interface NameError {
  code: NameErrorCode;
  title: "Invalid domain name";
  details: string;
}

export type ZoneFilterErrorCode =
  | Exclude<NameErrorCode, "empty_name">
  | "contains_space"
  | "wrong_separator"
  | "empty_entry"
  | "too_many_patterns"
  | "trailing_dot"
  | "deprecated_not_alone"
  | "public_suffix"
  | "duplicate_pattern";

export interface ZoneFilterError {
  code: ZoneFilterErrorCode;
  title: "Invalid zone filter format";
  details: string;
}

export function invalidZoneFilter(code: ZoneFilterErrorCode, details: string): Result<never, ZoneFilterError> {
  return err({ code, title: "Invalid zone filter format", details });
}
