/**
 * Route 53 shapes the adapter relies on. The SDK (`@aws-sdk/client-route-53`) owns the wire
 * format (REST-XML); these name the parts we read and the error codes we map.
 */
export interface Route53TxtSet {
  name: string;
  ttl: number;
  /** As stored: quoted character-strings, `"value"`. */
  values: string[];
}

/** Error codes meaning the credentials are not valid. */
export const AUTH_ERROR_CODES = new Set([
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "UnrecognizedClientException",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "ExpiredToken",
  "InvalidAccessKeyId",
]);

/** Error codes meaning the credentials are valid but not allowed to do this. */
export const FORBIDDEN_ERROR_CODES = new Set(["AccessDenied", "AccessDeniedException", "NotAuthorized"]);

/** Error codes worth retrying whatever their HTTP status. */
export const RETRYABLE_ERROR_CODES = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "PriorRequestNotComplete",
  "ServiceUnavailable",
  "InternalFailure",
  "RequestTimeout",
  "RequestTimeoutException",
]);

/** Network-level failures worth retrying. */
export const RETRYABLE_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

/** Route 53 writes some characters of names as octal escapes (`\052` for `*`). */
export function decodeName(name: string): string {
  return name.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
