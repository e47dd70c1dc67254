import type { Actor } from "../audit/entry.js";
import type { ChallengeRecord, PresentReceipt } from "../ports/dns01.js";
import type { Certificate, IssuanceStep, KeyType } from "./certificate.js";
import type { RenewalSchedule } from "./renewal.js";

/**
 * One name's DNS-01 challenge inside an order. Persisted before its value is written
 * (dns-01.md §2), so whoever resumes or cleans up the order knows what to remove.
 */
export interface OrderChallenge {
  /** As on the certificate: `example.com` or `*.example.com`. */
  identifier: string;
  /** The ACME authorization and its dns-01 challenge (RFC 8555 §7.5). */
  authorizationUrl: string;
  challengeUrl: string;
  /** Where the value goes and which credential writes it. */
  record: ChallengeRecord;
  /** The TXT value: base64url(SHA-256(key authorization)), RFC 8555 §8.4. Not a secret. */
  value: string;
  /** Set once `present` returned (Route 53: the change to wait for). */
  receipt?: PresentReceipt;
  /** Set once the value was removed again. */
  cleaned?: boolean;
}

/**
 * The state of a certificate's current order (one attempt), kept beside the certificate. The
 * certificate in service (renewals) is untouched until `stored`.
 */
export interface IssuanceOrder {
  /**
   * Made when the order opens (a UUID): names this order among all of the certificate's, e.g. in
   * the keys that make its statistics count once.
   */
  id: string;
  certificateId: number;
  /** Which attempt of this certificate: a new one starts after the previous ended. */
  attempt: number;
  step: IssuanceStep;
  /** The ACME directory and account the order belongs to. */
  directoryUrl: string;
  accountUrl?: string;
  orderUrl?: string;
  finalizeUrl?: string;
  challenges: OrderChallenge[];
  /** When propagation polling began (ISO 8601), for `dns_propagation_timeout_seconds`. */
  propagationStartedAt?: string;
  /** When the CA was asked to validate, for a CA that never answers. */
  answeredAt?: string;
  keyType: KeyType;
  /** The private key sealed by the KeySealer, made before finalizing (so a resume reuses it). */
  sealedKey?: string;
  /** Who asked (audit entries of the outcome name them). */
  requestedBy: Actor;
  /** Set when a certificate was in service as the order opened: its outcome is a renewal. */
  renewal?: boolean;
  /** RFC 9773 §5: the ARI id of the certificate this order replaces, sent with the new order. */
  replaces?: string;
  /** Transient errors retried in the current step. */
  retries?: number;
  /**
   * While the current step waits to be retried: that attempt's error, as the certificate would
   * show it if the retries ran out, and when the retry comes (ISO 8601). Cleared when a step is reached.
   */
  retryError?: string;
  retryAt?: string;
  /** Set when the attempt failed: cleanup runs, then the certificate becomes `failed` with it. */
  failure?: string;
  /** The identifiers the failure is counted against (their credentials' failure counts); all when empty. */
  failedIdentifiers?: string[];
  /**
   * Statistics and audit entries written. Each credential's outcome is recorded under its own key
   * (`id` and the credential), so a worker that died before setting this repeats none of them.
   */
  outcomesRecorded?: boolean;
  /**
   * The DNS provider one of whose slots (DnsProviderSlots) the order holds, from writing its
   * values until they are removed; unset when it holds none.
   */
  dnsSlot?: number;
  /** Who holds the order now, until when (ISO 8601); a holder that died loses it then. */
  leaseOwner?: string;
  leaseUntil?: string;
}

/** What `stored` writes: the material of the new certificate (renewal: replacing the old one). */
export interface IssuedMaterial {
  /** The leaf certificate, PEM. */
  certificatePem: string;
  /** The issuer chain after the leaf, PEM (may hold several certificates). */
  chainPem: string;
  /** The private key sealed by the KeySealer; never the key in clear. */
  sealedKey: string;
}

/** The fields of the certificate that a successful order sets. */
export type IssuedFields = Required<
  Pick<Certificate, "expires_on" | "issued_at" | "serial" | "issuer" | "key_type" | "validations" | "ari_cert_id">
>;

/**
 * Storage of orders and issued material. Every write after `claim` is conditional on the
 * caller still holding the lease: a worker that lost it (it was too slow, another resumed the
 * order) fails with `LeaseLostError` and stops.
 */
export interface IssuanceRepository {
  /**
   * Opens `order` (step `requested`) unless the certificate has an open order already (then
   * false: one order at a time per certificate, whoever asks twice).
   */
  open(order: IssuanceOrder): Promise<boolean>;
  /**
   * Takes the certificate's open order for `owner` until `leaseUntil`: when it is free, its lease
   * expired (a holder that died) or `owner` holds it. `{ heldUntil }` when another owner holds an
   * unexpired lease; undefined when no order is open (a late duplicate message).
   */
  claim(certificateId: number, owner: string, now: Date, leaseUntil: Date): Promise<IssuanceOrder | { heldUntil: string } | undefined>;
  /** Persists `order` (a step reached, challenges added); the lease stays `owner`'s. */
  save(order: IssuanceOrder, owner: string): Promise<void>;
  /** Gives the lease up (the order waits for a delayed message). */
  release(order: IssuanceOrder, owner: string): Promise<void>;
  /**
   * The new certificate: material and fields stored and the certificate `active`, with the order
   * at `stored`, in one transaction, replacing what was in service; `schedule` files it for its
   * renewal. The order stays open for its cleanup.
   */
  storeIssued(order: IssuanceOrder, owner: string, material: IssuedMaterial, fields: IssuedFields, schedule: RenewalSchedule): Promise<void>;
  /**
   * Closes the order after cleanup. With `failure` the certificate shows it as `error` and
   * becomes `failed` unless a certificate is in service (a renewal failed: it stays `active`,
   * filed again under `schedule`, the backoff's).
   */
  close(order: IssuanceOrder, owner: string, failure: string | undefined, schedule?: RenewalSchedule): Promise<void>;
  /** The material of the certificate in service, if any. */
  material(certificateId: number): Promise<IssuedMaterial | undefined>;
  /** Ids of certificates with an open order (resumed after a restart), lowest first. */
  openOrders(): Promise<number[]>;
}

/** The caller no longer holds the order's lease; another worker continues it. */
export class LeaseLostError extends Error {
  constructor(certificateId: number) {
    super(`The order of certificate ${certificateId} is held by another worker now`);
    this.name = "LeaseLostError";
  }
}
