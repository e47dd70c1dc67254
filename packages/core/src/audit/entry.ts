/**
 * One audit trail entry. Repositories write it in the same DynamoDB transaction as the change it
 * describes, so a change is never stored without its entry nor an entry without its change.
 * Nothing in it may be a secret: `details` lists which secret fields changed, never values.
 */
export interface AuditEntry {
  timestamp: string;
  action: string;
  resourceType: string;
  resourceId: number | string;
  resourceName: string | null;
  /** DNS provider type, for credential and provider actions. */
  provider: string | null;
  zoneFilter: string | null;
  user: string;
  ipAddress: string | null;
  details: Record<string, unknown>;
}

/** Who did it, from where: filled by the API layer from the token and the request. */
export interface Actor {
  user: string;
  ipAddress: string | null;
  /** `api` for requests, `renewal`/`system` for scheduled work. */
  via: string;
}

export function auditEntry(
  actor: Actor,
  at: Date,
  fields: Omit<AuditEntry, "timestamp" | "user" | "ipAddress" | "details"> & {
    details?: Record<string, unknown>;
  },
): AuditEntry {
  return {
    ...fields,
    timestamp: at.toISOString(),
    user: actor.user,
    ipAddress: actor.ipAddress,
    details: { created_via: actor.via, ...fields.details },
  };
}
