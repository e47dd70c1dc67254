import { ConflictError } from "../errors.js";

/** A uniqueness rule of spec §6 that a write ran into; `holderId` owns what was claimed. */
export type TakenClaim = { kind: "name"; name: string } | { kind: "pattern"; pattern: string } | { kind: "catch_all" };

/** The documents' 409: `Zone filter 'example.com' conflicts with existing credential`. */
export function claimConflict(claim: TakenClaim, holderId: number): ConflictError {
  const extra = { conflicting_credential_id: holderId };
  switch (claim.kind) {
    case "name":
      return new ConflictError(`A credential named '${claim.name}' already exists for this provider`, extra);
    case "pattern":
      return new ConflictError(`Zone filter '${claim.pattern}' conflicts with existing credential`, extra);
    case "catch_all":
      return new ConflictError("Zone filter '' (catch-all) conflicts with existing credential", extra);
  }
}

/**
 * A credential still serves certificate names. The body is the documents' own:
 * `{"error":"Cannot delete credential: 3 proxy hosts are using this credential","affected_domains":[…]}`;
 * certificates that no proxy host uses yet are counted as certificates, since their renewals
 * would fail just the same.
 */
export class CredentialInUseError extends ConflictError {
  constructor(
    readonly credentialId: number,
    users: { hosts: number; certificates: number },
    affectedDomains: string[],
  ) {
    const [count, noun] = users.hosts > 0 ? [users.hosts, "proxy host"] : [Math.max(users.certificates, 1), "certificate"];
    const message = `Cannot delete credential: ${count} ${noun}${count === 1 ? " is" : "s are"} using this credential`;
    super(message, { affected_domains: affectedDomains }, message);
  }
}
