import { findHostedZone, type ZoneFilter } from "@charon/zones";
import { DnsProviderError, type DnsProviderFailure } from "../ports/dns-provider-errors.js";
import type { DnsProviderClient, DnsProviderTypeName } from "../ports/dns-provider.js";
import type { CredentialTestStatus } from "./credential.js";
import { redactSecrets } from "./redaction.js";

/** The documents' answer to `POST …/credentials/{id}/test`. */
export interface CredentialTestResult {
  status: CredentialTestStatus;
  message: string;
  details: {
    provider: DnsProviderTypeName;
    testPerformed?: string;
    accessibleZones?: string[];
    /** Zones the filter names that the credential cannot see (status `warning`). */
    missingZones?: string[];
    errorCode?: string;
    errorMessage?: string;
  };
}

const FAILURE_MESSAGES: Partial<Record<DnsProviderFailure, string>> = {
  auth: "API authentication failed",
  forbidden: "API authentication failed",
  timeout: "Provider API timed out",
  network: "Could not reach the provider API",
  refused: "The server does not call the provider API's address",
  bad_response: "Provider API returned an unexpected response",
  rate_limited: "Provider API rate limit exceeded",
  unavailable: "Provider API is unavailable",
};

/**
 * How long a test may take in all, retries included. API Gateway ends a request at 30 s; a
 * provider that has not answered by this point gets a "failed" test, not a gateway time-out.
 */
export const CREDENTIAL_TEST_DEADLINE_MS = 20_000;

/**
 * Calls the provider for real with the credential and judges the answer: `failed` when it
 * cannot authenticate or the call fails in any way (a time-out or a garbled answer is a failed
 * test, not a server error), `warning` when it authenticates but cannot see a zone its filter
 * names, else `success`. `secretValues`, in any spelling an upstream may echo, are scrubbed from
 * any message that reaches the result.
 */
export async function testCredential(
  provider: DnsProviderTypeName,
  client: () => DnsProviderClient,
  zoneFilter: ZoneFilter,
  secretValues: readonly string[],
  deadlineMs = CREDENTIAL_TEST_DEADLINE_MS,
): Promise<CredentialTestResult> {
  let check;
  try {
    check = await withDeadline(provider, client().verify(), deadlineMs);
  } catch (error) {
    return failure(provider, error, secretValues);
  }
  const details = { provider, testPerformed: check.testPerformed, accessibleZones: check.accessibleZones };
  const missingZones = zonesNotVisible(zoneFilter, check.accessibleZones);
  if (missingZones.length > 0) {
    return {
      status: "warning",
      message: `Credential works but cannot access ${missingZones.length === 1 ? "zone" : "zones"} named by its zone filter: ${missingZones.join(", ")}`,
      details: { ...details, missingZones },
    };
  }
  return { status: "success", message: "Credential validated successfully", details };
}

/** The zones of the filter's patterns that no accessible zone hosts (delegated sub-zones count). */
function zonesNotVisible(filter: ZoneFilter, accessibleZones: readonly string[]): string[] {
  if (filter.kind !== "patterns") return [];
  const zones = [...new Set(filter.patterns.map((p) => p.zone))];
  return zones.filter((zone) => findHostedZone(zone, accessibleZones) === null);
}

function withDeadline<T>(provider: DnsProviderTypeName, work: Promise<T>, deadlineMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const message = `The provider did not answer within ${deadlineMs / 1000} s`;
      reject(new DnsProviderError({ provider, reason: "timeout", message }));
    }, deadlineMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function failure(
  provider: DnsProviderTypeName,
  error: unknown,
  secretValues: readonly string[],
): CredentialTestResult {
  const scrub = (text: string) => redactSecrets(text, secretValues);
  if (error instanceof DnsProviderError) {
    return {
      status: "failed",
      message: FAILURE_MESSAGES[error.reason] ?? "Provider API request failed",
      details: {
        provider,
        errorCode: error.upstreamStatus !== undefined ? String(error.upstreamStatus) : error.reason,
        errorMessage: scrub(error.upstreamMessage ?? error.message),
      },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: "failed",
    message: "Credential test failed",
    details: { provider, errorCode: "error", errorMessage: scrub(message) },
  };
}
