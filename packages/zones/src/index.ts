export type { Result } from "./result.js";
export type { NameError, NameErrorCode, ZoneFilterError, ZoneFilterErrorCode } from "./errors.js";
export { normaliseName, normaliseUpstreamName, type NameProblem } from "./names.js";
export {
  DEPRECATED_FILTER,
  MAX_PATTERNS_PER_FILTER,
  formatZoneFilter,
  parseZoneFilter,
  type FilterRules,
  type ZoneFilter,
} from "./filter.js";
export { matchPattern, type Pattern, type PatternType } from "./pattern.js";
export { probeKeys } from "./probe.js";
export { chooseCredential, noMatchMessage, type Candidate, type Match, type MatchType, type Selection } from "./select.js";
export { ZoneIndex } from "./zone-index.js";
export { findConflicts, findOverlaps, type Conflict, type OtherCredential, type OverlapWarning } from "./overlap.js";
export { registrableDomain } from "./registrable.js";
export { findHostedZone, findZoneOf } from "./hosted-zone.js";
export { certificateCovers } from "./coverage.js";
