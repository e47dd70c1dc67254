import type { ChallengeRecord, PropagationState } from "@charon/core";

/**
 * dns-01.md §5's `DNS propagation timeout`, naming the servers that never showed the value and
 * what they returned, from the last round of `checkPropagation`:
 * `DNS propagation timeout: _acme-challenge.example.com not seen on ns1.example.net (returned "old"),
 * ns2.example.net (no TXT values), 192.0.2.9:53 (did not answer within 1500 ms)`.
 * Values are the challenge's public TXT values, never secrets.
 */
export function propagationTimeoutMessage(record: ChallengeRecord, last: PropagationState): string {
  if (last.propagated) return `DNS propagation timeout: ${record.effectiveRecordName}`;
  if (last.pendingChange !== undefined) {
    return `DNS propagation timeout: ${record.effectiveRecordName}: ${last.pendingChange}`;
  }
  const servers = last.servers.map((answer) => {
    const returned =
      answer.error !== undefined
        ? answer.error
        : answer.values.length === 0
          ? "no TXT values"
          : `returned ${answer.values.map((v) => JSON.stringify(v)).join(", ")}`;
    return `${answer.server} (${returned})`;
  });
  return `DNS propagation timeout: ${record.effectiveRecordName} not seen on ${servers.length > 0 ? servers.join(", ") : "any name server (none found)"}`;
}
