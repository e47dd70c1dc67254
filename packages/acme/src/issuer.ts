import { randomUUID, X509Certificate } from "node:crypto";
import type acme from "acme-client";
import {
  CharonError,
  DEFAULT_KEY_TYPE,
  certificateOutcomeEvent,
  DnsProviderError,
  ServiceUnavailableError,
  type DnsProviderFailure,
  LeaseLostError,
  MAX_DELAY_SECONDS,
  type Actor,
  type Certificate,
  type CertificateFiles,
  type CertificateIssuance,
  type CertificateRepository,
  type DnsProviderSlots,
  type ChallengeOutcomeRecorder,
  type Clock,
  type Dns01Solver,
  type IssuanceOrder,
  type IssuanceRepository,
  type IssuedFields,
  type KeySealer,
  type KeyType,
  type NewOrderBudget,
  type NotificationPublisher,
  type OrderChallenge,
  type PropagationState,
  type WorkQueue,
  planRenewal,
  scheduleOf,
  validityOf,
  type FailedAuthorizations,
  type RenewalInfo,
  type RenewalSchedule,
} from "@charon/core";
import { propagationTimeoutMessage } from "./dns01/messages.js";
import type { AcmeAccounts } from "./account.js";
import { CaRateLimited, loadAcmeClient } from "./acme-client.js";
import { AcmeRenewalInformation, ariCertId } from "./renewal-info.js";

/** What the issuer logs through (the entry points pass Powertools' JSON logger). */
export interface IssuanceLogger {
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

/** Timing of an order, all in seconds. */
export interface IssuanceTimings {
  /** `dns_polling_interval_seconds` and `dns_propagation_timeout_seconds` (Settings → Advanced). */
  propagation(): Promise<{ pollSeconds: number; timeoutSeconds: number }>;
  /** How long a worker holds an order before another may take it over (default 120). */
  leaseSeconds?: number;
  /** How often the CA is asked about a pending validation or certificate (default 1). */
  caPollSeconds?: number;
  /** How long the CA may take to validate or issue before the order fails (default 300). */
  caTimeoutSeconds?: number;
}

export interface IssuerDependencies {
  certificates: Pick<CertificateRepository, "get">;
  orders: IssuanceRepository;
  solver: Dns01Solver;
  sealer: KeySealer;
  queue: WorkQueue;
  outcomes: ChallengeOutcomeRecorder;
  /** Where `certificate_failed` and `certificate_renewed` go (webhook subscriptions); none when absent. */
  events?: NotificationPublisher;
  accounts: AcmeAccounts;
  timings: IssuanceTimings;
  /** Failed authorizations per name and hour (dns-01.md §4's limit), counted when an order fails. */
  failures: FailedAuthorizations;
  /**
   * Issue 9 §3's bounds: the CA's new-order budget per account (orders that send `replaces` are
   * exempt) and DNS provider slots held from writing the values until they are removed; an order
   * that must wait for either is sent back as a delayed message. Unbounded when absent.
   */
  limits?: { newOrders: NewOrderBudget; dnsSlots: DnsProviderSlots };
  clock: Clock;
  logger: IssuanceLogger;
  /** Picks the time in the CA's renewal window; Math.random unless a test fixes it. */
  random?: () => number;
}

/** A failure that ends the order (dns-01.md §5's message), as opposed to one worth retrying. */
class OrderFailure extends Error {
  constructor(
    message: string,
    /** The identifiers whose credentials the failure is counted against (all when empty). */
    readonly identifiers: string[] = [],
  ) {
    super(message);
    this.name = "OrderFailure";
  }
}

/** The order must wait for a limit (`seconds`); `message` is what the pending certificate shows meanwhile. */
class LimitWait extends Error {
  constructor(
    readonly seconds: number,
    message: string,
  ) {
    super(message);
    this.name = "LimitWait";
  }
}

/** How long an order waits for a CA that answered 429 without `Retry-After`. */
const CA_RATE_LIMIT_DEFAULT_SECONDS = 60;

/**
 * A limit the order must wait for: ours, or the CA's 429 (as long as its `Retry-After` asks, up to
 * the queue's longest delay, 15 min, after which the CA is asked again), counted as no retry.
 */
function limitWaitOf(error: unknown): LimitWait | undefined {
  if (error instanceof LimitWait) return error;
  if (error instanceof CaRateLimited) {
    const seconds = Math.max(1, error.retryAfterSeconds ?? CA_RATE_LIMIT_DEFAULT_SECONDS);
    return new LimitWait(seconds, `The CA is rate-limiting this account (${error.message}); the order waits as long as it asks`);
  }
  return undefined;
}

/**
 * How long an order without a free DNS provider slot waits before it looks again, at most: slots
 * come free when other orders clean up, which nothing announces.
 */
const SLOT_POLL_SECONDS = 10;

/** What a step asks for next: seconds to wait, the next step now, or nothing (the order is closed). */
type Next = number | typeof NEXT | typeof CLOSED;
const NEXT = "next";
const CLOSED = "closed";

/** Transient errors (the CA or a DNS API unreachable, a 5xx) retried after these waits, then the order fails. */
const RETRY_DELAYS_SECONDS = [5, 30, 120];

type ProblemDocument = { type?: string; detail?: string; subproblems?: Array<ProblemDocument & { identifier?: { value: string } }> };

/**
 * Certificates issued over ACME with DNS-01 (RFC 8555, shared/spec/dns-01.md), as an order of
 * resumable steps: each `advance` runs as many steps as can run now, persisting each before the
 * next, and when it must wait (propagation, the CA) it sends a delayed `certificate.advance` and
 * returns. Every call first claims the order's lease, so duplicate deliveries do nothing and a
 * worker that died is replaced once its lease ends. A certificate in service stays in service
 * until its successor is stored.
 */
export class Issuer implements CertificateIssuance {
  private readonly leaseSeconds: number;
  private readonly caPollSeconds: number;
  private readonly caTimeoutSeconds: number;

  private readonly renewalInformation: AcmeRenewalInformation;

  constructor(private readonly deps: IssuerDependencies) {
    this.renewalInformation = new AcmeRenewalInformation(deps.accounts);
    this.leaseSeconds = deps.timings.leaseSeconds ?? 120;
    this.caPollSeconds = deps.timings.caPollSeconds ?? 1;
    this.caTimeoutSeconds = deps.timings.caTimeoutSeconds ?? 300;
  }

  /**
   * Opens an order for `certificate` and enqueues its first step; a certificate with an open
   * order already keeps that one (false).
   */
  async start(certificate: Certificate, requestedBy: Actor, renewal?: { replaces?: string }): Promise<boolean> {
    const opened = await this.deps.orders.open({
      id: randomUUID(),
      certificateId: certificate.id,
      attempt: 1,
      step: "requested",
      directoryUrl: this.deps.accounts.settings.directoryUrl,
      challenges: [],
      keyType: certificate.meta.key_type ?? DEFAULT_KEY_TYPE,
      requestedBy,
      ...(renewal ? { renewal: true } : {}),
      ...(renewal?.replaces ? { replaces: renewal.replaces } : {}),
    });
    if (opened) await this.deps.queue.send({ kind: "certificate.advance", certificateId: certificate.id });
    return opened;
  }

  /** dns-01.md §1 for the API: the solver's look-up, delegation followed. */
  locate(providerId: number, identifier: string): Promise<{ credential: { id: number; name: string } }> {
    return this.deps.solver.locate(providerId, identifier);
  }

  /** The certificate in service with its key opened: only for the download, never logged. */
  async files(certificateId: number): Promise<CertificateFiles | undefined> {
    const material = await this.deps.orders.material(certificateId);
    if (!material) return undefined;
    return {
      certificatePem: material.certificatePem,
      chainPem: material.chainPem,
      privateKeyPem: await this.deps.sealer.open(material.sealedKey, sealContext({ certificateId })),
    };
  }

  /** The CA's renewal information for a certificate id (RFC 9773); undefined when it offers none. */
  renewalInfo(certId: string): Promise<RenewalInfo | undefined> {
    return this.renewalInformation.fetch(certId);
  }

  /** Enqueues every open order (after a restart, the in-process queue lost its messages). */
  async resumeOpenOrders(): Promise<number[]> {
    const ids = await this.deps.orders.openOrders();
    for (const certificateId of ids) await this.deps.queue.send({ kind: "certificate.advance", certificateId });
    return ids;
  }

  /** The `certificate.advance` handler. */
  async advance(certificateId: number): Promise<void> {
    const owner = randomUUID();
    const now = this.deps.clock.now();
    const claimed = await this.deps.orders.claim(
      certificateId,
      owner,
      now,
      new Date(now.getTime() + this.leaseSeconds * 1000),
    );
    if (claimed === undefined) return; // Finished already: a duplicate or late delivery.
    if ("heldUntil" in claimed) {
      // Another worker runs it; look again when its lease ends in case that worker died.
      const wait = Math.ceil((Date.parse(claimed.heldUntil) - now.getTime()) / 1000) + 1;
      await this.later(certificateId, wait);
      return;
    }
    try {
      const wait = await this.run(claimed, owner);
      if (wait !== undefined) {
        await this.keepSlot(claimed, wait);
        await this.deps.orders.release(claimed, owner);
        await this.later(certificateId, wait);
      }
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.log(claimed, "lease lost; another worker continues the order");
        return;
      }
      throw error;
    }
  }

  private later(certificateId: number, seconds: number): Promise<void> {
    const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(seconds)));
    return this.deps.queue.send({ kind: "certificate.advance", certificateId }, { delaySeconds });
  }

  /** Runs steps until the order waits (seconds) or is closed (undefined). */
  private async run(order: IssuanceOrder, owner: string): Promise<number | undefined> {
    for (;;) {
      let next: Next;
      try {
        next = await this.step(order, owner);
      } catch (error) {
        if (error instanceof LeaseLostError) throw error;
        const wait = limitWaitOf(error);
        if (wait !== undefined) {
          order.retryError = wait.message;
          order.retryAt = new Date(this.deps.clock.now().getTime() + wait.seconds * 1000).toISOString();
          await this.deps.orders.save(order, owner);
          this.log(order, wait.message, { wait_seconds: wait.seconds });
          return wait.seconds;
        }
        if (order.failure !== undefined) {
          // Cleanup of a failed order failed: retried like any step, then the values are reported left behind.
          order.retries = (order.retries ?? 0) + 1;
          if (order.retries <= RETRY_DELAYS_SECONDS.length) {
            // What the certificate will show is the order's failure, whatever cleanup ran into.
            return this.retryLater(order, owner, order.failure);
          }
          for (const challenge of order.challenges.filter((c) => !c.cleaned)) {
            this.deps.logger.error("could not remove a DNS-01 value", this.fields(order), {
              record: challenge.record.effectiveRecordName,
              error: messageOf(error),
            });
            challenge.cleaned = true;
          }
          await this.deps.orders.save(order, owner);
          continue;
        }
        const failure = this.failureOf(error, order);
        if (failure === undefined) {
          order.retries = (order.retries ?? 0) + 1;
          // failureOf's message once the retries run out, so the pending certificate shows it now.
          return this.retryLater(order, owner, messageOf(error));
        }
        order.failure = failure.message;
        order.failedIdentifiers = failure.identifiers;
        delete order.retryError;
        delete order.retryAt;
        this.deps.logger.error("certificate issuance failed", this.fields(order), { error: failure.message });
        await this.deps.orders.save(order, owner);
        continue;
      }
      if (next === CLOSED) return undefined;
      if (next !== NEXT) return next;
    }
  }

  /**
   * Persists the retry (`order.retries` counted already) with the error and time the certificate
   * shows meanwhile; returns the wait in seconds.
   */
  private async retryLater(order: IssuanceOrder, owner: string, error: string): Promise<number> {
    const wait = RETRY_DELAYS_SECONDS[order.retries! - 1]!;
    order.retryError = error;
    order.retryAt = new Date(this.deps.clock.now().getTime() + wait * 1000).toISOString();
    await this.deps.orders.save(order, owner);
    return wait;
  }

  /**
   * Ends the order on a failure that retrying cannot fix, or after the retries of a transient
   * one; undefined means "retry later".
   */
  private failureOf(error: unknown, order: IssuanceOrder): OrderFailure | undefined {
    if (error instanceof OrderFailure) return error;
    // A provider's refusal (UpstreamError), no credential, a CNAME loop (ValidationError): as the user reads them.
    if (error instanceof CharonError && !isTransient(error)) return new OrderFailure(error.message, identifierOf(error));
    const retries = order.retries ?? 0;
    if (retries < RETRY_DELAYS_SECONDS.length) {
      this.deps.logger.error("certificate issuance step failed; retrying", this.fields(order), {
        error: messageOf(error),
        retry: retries + 1,
      });
      return undefined;
    }
    return new OrderFailure(messageOf(error));
  }

  /** One step: seconds to wait, NEXT to go on, or CLOSED. */
  private async step(order: IssuanceOrder, owner: string): Promise<Next> {
    if (order.failure !== undefined) {
      await this.cleanUp(order, owner);
      await this.finish(order, owner);
      return CLOSED;
    }
    this.log(order, `step after ${order.step}`);
    switch (order.step) {
      case "requested":
        await this.createOrder(order, owner);
        return NEXT;
      case "order_created":
        await this.takeSlot(order, owner);
        await this.writeValues(order, owner);
        return NEXT;
      case "values_written":
        return this.awaitPropagation(order, owner);
      case "propagated":
        await this.answerChallenges(order, owner);
        return NEXT;
      case "challenges_answered":
        return this.finalize(order, owner);
      case "finalized":
        return this.download(order, owner);
      case "stored":
        await this.cleanUp(order, owner);
        return NEXT;
      case "cleaned":
        await this.finish(order, owner);
        return CLOSED;
    }
  }

  /** New order, its authorizations, and where each value goes: persisted before anything is written. */
  private async createOrder(order: IssuanceOrder, owner: string): Promise<void> {
    const certificate = await this.certificate(order);
    const providerId = certificate.dns_provider?.id;
    if (providerId === undefined) throw new OrderFailure("Only DNS-01 validation is supported: the certificate names no DNS provider");
    const client = await this.deps.accounts.registered();
    const profile = await this.profile(certificate, order);
    const newOrder = (replaces: string | undefined) =>
      client.createOrder({
        identifiers: certificate.domain_names.map((value) => ({ type: "dns", value })),
        ...(profile ? { profile } : {}),
        ...(replaces ? { replaces } : {}),
        // `profile` (draft-ietf-acme-profiles) and `replaces` (RFC 9773 §5) are newer than acme-client's types.
      } as Parameters<acme.Client["createOrder"]>[0]);
    let created: acme.Order;
    try {
      // RFC 9773 renewals (`replaces`) are exempt from the CA's limits (Let's Encrypt's rate-limits page).
      if (order.replaces === undefined) await this.takeNewOrder(order, client.getAccountUrl());
      created = await newOrder(order.replaces);
    } catch (error) {
      // dns-01.md §4: 409 alreadyReplaced, or a 403 about `replaces` (the certificate's account
      // changed): once more without it. acme-client passes on only the problem's detail, which
      // names the replacement in both cases (Pebble, Boulder).
      // A 429 is not about `replaces`, whatever its detail says: waited out as asked.
      if (order.replaces === undefined || error instanceof CaRateLimited || !/replace|ARI/i.test(messageOf(error))) throw error;
      this.log(order, "the CA refused `replaces`; ordering without it", { replaces: order.replaces, error: messageOf(error) });
      order.replaces = undefined;
      await this.takeNewOrder(order, client.getAccountUrl());
      created = await newOrder(undefined);
    }
    if (order.replaces !== undefined) {
      // What the CA recorded: its order object echoes the certificate it replaces.
      this.log(order, "renewal order replaces the certificate in service", { replaces: (created as { replaces?: string }).replaces ?? null });
    }
    const authorizations = await client.getAuthorizations(created);
    const challenges: OrderChallenge[] = [];
    for (const authorization of authorizations) {
      if (authorization.status === "valid") continue;
      const challenge = authorization.challenges.find((c) => c.type === "dns-01");
      const identifier = authorization.wildcard ? `*.${authorization.identifier.value}` : authorization.identifier.value;
      if (!challenge) throw new OrderFailure(`The CA offers no dns-01 challenge for ${identifier}`, [identifier]);
      challenges.push({
        identifier,
        authorizationUrl: authorization.url,
        challengeUrl: challenge.url,
        record: await this.deps.solver.locate(providerId, identifier),
        value: await client.getChallengeKeyAuthorization(challenge),
      });
    }
    order.accountUrl = client.getAccountUrl();
    order.orderUrl = created.url;
    order.finalizeUrl = created.finalize;
    order.challenges = challenges;
    await this.reach(order, owner, "order_created");
  }

  /** Each value beside whatever the record holds (the solver serialises writers per record name). */
  private async writeValues(order: IssuanceOrder, owner: string): Promise<void> {
    for (const challenge of order.challenges) {
      if (challenge.receipt !== undefined) continue;
      try {
        challenge.receipt = await this.deps.solver.present(challenge.record, challenge.value);
      } catch (error) {
        if (!(error instanceof CharonError) || isTransient(error)) throw error;
        // Refused (bad credential, no such zone): nothing was written, so there is nothing to remove.
        challenge.cleaned = true;
        throw new OrderFailure(error.message, [challenge.identifier]);
      }
      await this.deps.orders.save(order, owner);
    }
    order.propagationStartedAt = this.deps.clock.now().toISOString();
    await this.reach(order, owner, "values_written");
  }

  /** One round over every authoritative server; dns-01.md §3's timeout names the laggards. */
  private async awaitPropagation(order: IssuanceOrder, owner: string): Promise<Next> {
    const { pollSeconds, timeoutSeconds } = await this.deps.timings.propagation();
    const lagging: Array<{ challenge: OrderChallenge; state: PropagationState }> = [];
    for (const challenge of order.challenges) {
      const state = await this.deps.solver.checkPropagation(challenge.record, challenge.value, challenge.receipt);
      if (!state.propagated) lagging.push({ challenge, state });
    }
    if (lagging.length === 0) {
      await this.reach(order, owner, "propagated");
      return NEXT;
    }
    const waited = (this.deps.clock.now().getTime() - Date.parse(order.propagationStartedAt ?? "")) / 1000;
    if (waited >= timeoutSeconds) {
      const messages = [...new Set(lagging.map(({ challenge, state }) => propagationTimeoutMessage(challenge.record, state)))];
      throw new OrderFailure(messages.join("; "), lagging.map(({ challenge }) => challenge.identifier));
    }
    return pollSeconds;
  }

  private async answerChallenges(order: IssuanceOrder, owner: string): Promise<void> {
    const client = await this.deps.accounts.registered();
    // Only the challenges still pending: a worker that died after answering some must not answer
    // them twice (the CA refuses to re-open a challenge it is processing or has decided).
    const authorizations = await client.getAuthorizations(await client.getOrder(this.acmeOrder(order)));
    const pending = new Set(authorizations.flatMap((a) => a.challenges.filter((c) => c.status === "pending").map((c) => c.url)));
    for (const challenge of order.challenges) {
      if (!pending.has(challenge.challengeUrl)) continue;
      await client.completeChallenge({ type: "dns-01", url: challenge.challengeUrl, status: "pending", token: "" });
    }
    order.answeredAt = this.deps.clock.now().toISOString();
    await this.reach(order, owner, "challenges_answered");
  }

  /** Once the CA validated every name: the key (sealed and persisted first, so a resume reuses it), the CSR. */
  private async finalize(order: IssuanceOrder, owner: string): Promise<Next> {
    const client = await this.deps.accounts.registered();
    const current = await client.getOrder(this.acmeOrder(order));
    if (current.status === "invalid") throw await this.invalid(current);
    if (current.status === "pending") return this.caWait(order);
    if (current.status === "processing" || current.status === "valid") {
      await this.reach(order, owner, "finalized"); // Finalized by a worker that died before saying so.
      return NEXT;
    }
    const certificate = await this.certificate(order);
    if (order.sealedKey === undefined) {
      const key = await privateKey(order.keyType);
      order.sealedKey = await this.deps.sealer.seal(key, sealContext(order));
      await this.deps.orders.save(order, owner);
    }
    const key = await this.deps.sealer.open(order.sealedKey, sealContext(order));
    const [, csr] = await (await loadAcmeClient()).crypto.createCsr({ altNames: certificate.domain_names }, key);
    await client.finalizeOrder(current, csr);
    await this.reach(order, owner, "finalized");
    return NEXT;
  }

  private async download(order: IssuanceOrder, owner: string): Promise<Next> {
    const client = await this.deps.accounts.registered();
    const current = await client.getOrder(this.acmeOrder(order));
    if (current.status === "invalid") throw await this.invalid(current);
    if (current.status !== "valid") return this.caWait(order);
    const pem = await client.getCertificate(current);
    const [leaf = "", ...chain] = (await loadAcmeClient()).crypto.splitPemChain(pem);
    const parsed = new X509Certificate(leaf);
    const fields: IssuedFields = {
      issued_at: this.deps.clock.now().toISOString(),
      expires_on: new Date(parsed.validTo).toISOString(),
      serial: parsed.serialNumber.toLowerCase(),
      issuer: parsed.issuer.split("\n").join(", "),
      key_type: order.keyType,
      ari_cert_id: (await ariCertId(leaf)) ?? null,
      validations: order.challenges.map((c) => ({
        domain: c.identifier,
        record_name: c.record.recordName,
        effective_record_name: c.record.effectiveRecordName,
        dns_credential: c.record.credential,
      })),
    };
    const validity = { issuedAt: new Date(parsed.validFrom), expiresAt: new Date(parsed.validTo) };
    // A directory that does not answer now does not hold up the certificate: the next sweep asks,
    // and falls back to the lifetime if the CA has no renewal information after all.
    const renewalInfo = fields.ari_cert_id !== null && (await this.renewalInformation.offered().catch(() => true));
    const schedule = planRenewal(undefined, { kind: "issued", validity, renewalInfo }, this.deps.clock.now());
    order.step = "stored";
    await this.deps.orders.storeIssued(
      order,
      owner,
      { certificatePem: leaf, chainPem: chain.join(""), sealedKey: order.sealedKey ?? "" },
      fields,
      schedule,
    );
    this.log(order, "certificate stored", { serial: fields.serial, expires_on: fields.expires_on });
    return NEXT;
  }

  /** Removes every value the order wrote (or may have written); absent values are fine. */
  private async cleanUp(order: IssuanceOrder, owner: string): Promise<void> {
    for (const challenge of order.challenges) {
      if (challenge.cleaned) continue;
      await this.deps.solver.cleanUp(challenge.record, challenge.value);
      challenge.cleaned = true;
      await this.deps.orders.save(order, owner);
    }
    if (order.dnsSlot !== undefined) {
      await this.deps.limits?.dnsSlots.release(order.dnsSlot, order.id);
      delete order.dnsSlot;
      await this.deps.orders.save(order, owner);
    }
    if (order.failure === undefined) await this.reach(order, owner, "cleaned");
  }

  /**
   * Statistics and audit per credential, then the order is closed: on failure the certificate is
   * `failed`, or, when one is in service, it stays and is filed again after the backoff.
   */
  private async finish(order: IssuanceOrder, owner: string): Promise<void> {
    let backoff: RenewalSchedule | undefined;
    if (order.failure !== undefined) {
      const certificate = await this.deps.certificates.get(order.certificateId);
      const schedule = certificate && scheduleOf(certificate);
      if (certificate && schedule && validityOf(certificate)) {
        const names = order.failedIdentifiers ?? [];
        backoff = planRenewal(schedule, { kind: "failed", names, allNames: certificate.domain_names }, this.deps.clock.now());
      }
    }
    if (!order.outcomesRecorded) {
      const certificate = await this.certificate(order);
      if (order.failure !== undefined) {
        const blamed = order.failedIdentifiers?.length ? order.failedIdentifiers : certificate.domain_names;
        await this.deps.failures.add(blamed, this.deps.clock.now());
      }
      const provider = certificate.dns_provider;
      const blamed = new Set(order.failedIdentifiers ?? []);
      const counted = order.failure === undefined || blamed.size === 0 ? order.challenges : order.challenges.filter((c) => blamed.has(c.identifier));
      const byCredential = new Map<number, OrderChallenge[]>();
      for (const c of counted) byCredential.set(c.record.credential.id, [...(byCredential.get(c.record.credential.id) ?? []), c]);
      const outcomes: Array<{ credential: OrderChallenge["record"]["credential"] | null; domains: string[] }> = [...byCredential.values()].map(
        (challenges) => ({ credential: challenges[0]!.record.credential, domains: challenges.map((c) => c.identifier) }),
      );
      // Names the CA still held valid authorizations for (Let's Encrypt and Pebble reuse them), or
      // that failed before a value was written: no credential to count, but the attempt is audited.
      const concerned = order.failure !== undefined && blamed.size > 0 ? [...blamed] : certificate.domain_names;
      const answered = new Set(order.challenges.map((c) => c.identifier));
      const unanswered = concerned.filter((name) => !answered.has(name));
      if (unanswered.length > 0) outcomes.push({ credential: null, domains: unanswered });
      for (const outcome of outcomes) {
        if (!provider) continue;
        await this.deps.outcomes.recordChallengeOutcome({
          key: `certificate/${order.certificateId}/order/${order.id}/credential/${outcome.credential?.id ?? "none"}`,
          provider,
          credential: outcome.credential,
          certificateId: order.certificateId,
          domains: outcome.domains,
          action:
            order.failure === undefined ? (order.renewal || order.attempt > 1 ? "certificate_renewed" : "certificate_issued") : "certificate_failed",
          succeeded: order.failure === undefined,
          ...(order.failure !== undefined ? { error: order.failure } : {}),
          actor: order.requestedBy,
        });
      }
      // Before the order is marked: a crash in between publishes the same event (same id) again.
      const renewal = order.renewal === true || order.attempt > 1;
      const event = certificateOutcomeEvent(certificate, { ...order, renewal }, this.deps.clock.now());
      if (event && this.deps.events) await this.deps.events.publish(event);
      order.outcomesRecorded = true;
      await this.deps.orders.save(order, owner);
    }
    await this.deps.orders.close(order, owner, order.failure, backoff);
    this.log(order, order.failure === undefined ? "order closed: certificate active" : "order closed: failed");
  }

  private async reach(order: IssuanceOrder, owner: string, step: IssuanceOrder["step"]): Promise<void> {
    order.step = step;
    order.retries = 0;
    delete order.retryError;
    delete order.retryAt;
    await this.deps.orders.save(order, owner);
    this.log(order, `reached ${step}`);
  }

  /** One token of the account's new-order budget, or a LimitWait until the next one. */
  private async takeNewOrder(order: IssuanceOrder, accountUrl: string): Promise<void> {
    const budget = this.deps.limits?.newOrders;
    if (!budget) return;
    const taken = await budget.take({ directoryUrl: order.directoryUrl, accountUrl }, this.deps.clock.now());
    if (!taken.taken) throw new LimitWait(taken.waitSeconds, "Waiting for the CA's new-order budget of this ACME account");
  }

  /**
   * A slot of the certificate's DNS provider before any value is written (held until cleanup
   * releases it), or a LimitWait. The order's id owns it, so a resumed order takes its own back.
   */
  private async takeSlot(order: IssuanceOrder, owner: string): Promise<void> {
    const slots = this.deps.limits?.dnsSlots;
    if (!slots || order.dnsSlot !== undefined) return;
    const providerId = (await this.certificate(order)).dns_provider?.id;
    if (providerId === undefined) return;
    const now = this.deps.clock.now();
    const slot = await slots.acquire(providerId, order.id, now, new Date(now.getTime() + this.leaseSeconds * 1000));
    if (!slot.held) {
      throw new LimitWait(
        Math.min(slot.waitSeconds, SLOT_POLL_SECONDS),
        "Waiting for a free slot of the DNS provider: other orders are writing to it (CHARON_DNS_PROVIDER_CONCURRENCY)",
      );
    }
    order.dnsSlot = providerId;
    await this.deps.orders.save(order, owner);
  }

  /**
   * Extends the order's DNS provider slot over the wait it is about to make and one lease after,
   * so that only a worker that died loses it. Lost meanwhile (expired and taken): the order goes
   * on, since its values are written already, and says so.
   */
  private async keepSlot(order: IssuanceOrder, waitSeconds: number): Promise<void> {
    const slots = this.deps.limits?.dnsSlots;
    if (!slots || order.dnsSlot === undefined) return;
    const now = this.deps.clock.now();
    const kept = await slots.acquire(order.dnsSlot, order.id, now, new Date(now.getTime() + (waitSeconds + this.leaseSeconds) * 1000));
    if (!kept.held) this.log(order, "the order's DNS provider slot expired and is held by others; going on", { dns_provider_id: order.dnsSlot });
  }

  /** Waits for the CA; an order it never finishes fails after `caTimeoutSeconds`. */
  private caWait(order: IssuanceOrder): number {
    const since = Date.parse(order.answeredAt ?? this.deps.clock.now().toISOString());
    if ((this.deps.clock.now().getTime() - since) / 1000 > this.caTimeoutSeconds) {
      throw new OrderFailure(`The CA did not finish the order within ${this.caTimeoutSeconds} s`);
    }
    return this.caPollSeconds;
  }

  /** The CA's problem document (type and detail, per identifier), RFC 8555 §6.7 / §7.1.3. */
  private async invalid(current: acme.Order): Promise<OrderFailure> {
    const client = await this.deps.accounts.registered();
    const problems: string[] = [];
    const identifiers: string[] = [];
    for (const authorization of await client.getAuthorizations(current)) {
      if (authorization.status !== "invalid") continue;
      const identifier = authorization.wildcard ? `*.${authorization.identifier.value}` : authorization.identifier.value;
      identifiers.push(identifier);
      const failed = authorization.challenges.find((c) => c.type === "dns-01")?.error as ProblemDocument | undefined;
      problems.push(`${identifier}: ${describe(failed)}`);
    }
    const orderProblem = current.error as ProblemDocument | undefined;
    const message = problems.length > 0 ? problems.join("; ") : describe(orderProblem);
    return new OrderFailure(`The CA refused the order: ${message}`, identifiers);
  }

  /** `meta.profile` when the directory offers it; otherwise the CA's default (logged). */
  private async profile(certificate: Certificate, order: IssuanceOrder): Promise<string | undefined> {
    const wanted = certificate.meta.profile;
    if (wanted === undefined) return undefined;
    const offered = (await this.deps.accounts.directory()).meta?.profiles ?? {};
    if (wanted in offered) return wanted;
    this.log(order, "the CA offers no such profile; its default applies", { profile: wanted });
    return undefined;
  }

  private async certificate(order: IssuanceOrder): Promise<Certificate> {
    const certificate = await this.deps.certificates.get(order.certificateId);
    if (!certificate) throw new OrderFailure("The certificate was deleted");
    return certificate;
  }

  private acmeOrder(order: IssuanceOrder): acme.Order {
    return { url: order.orderUrl ?? "", finalize: order.finalizeUrl ?? "", status: "pending", identifiers: [], authorizations: [] };
  }

  private fields(order: IssuanceOrder): Record<string, unknown> {
    return { category: "certificate_issuance", certificate_id: order.certificateId, attempt: order.attempt, step: order.step };
  }

  private log(order: IssuanceOrder, message: string, extra: Record<string, unknown> = {}): void {
    this.deps.logger.info(message, this.fields(order), extra);
  }
}

/** The KeySealer context a certificate's private key is sealed under: bound to its certificate. */
export function privateKeyContext(certificateId: number): Record<string, string> {
  return { certificate_id: String(certificateId), purpose: "certificate-private-key" };
}

function sealContext(order: Pick<IssuanceOrder, "certificateId">): Record<string, string> {
  return privateKeyContext(order.certificateId);
}

async function privateKey(type: KeyType): Promise<string> {
  const acme = await loadAcmeClient();
  switch (type) {
    case "ecdsa-p256":
      return (await acme.crypto.createPrivateEcdsaKey("P-256")).toString();
    case "ecdsa-p384":
      return (await acme.crypto.createPrivateEcdsaKey("P-384")).toString();
    case "rsa-2048":
      return (await acme.crypto.createPrivateRsaKey(2048)).toString();
    case "rsa-3072":
      return (await acme.crypto.createPrivateRsaKey(3072)).toString();
    case "rsa-4096":
      return (await acme.crypto.createPrivateRsaKey(4096)).toString();
  }
}

function describe(problem: ProblemDocument | undefined): string {
  if (!problem) return "no problem document";
  const own = [problem.type, problem.detail].filter(Boolean).join(": ");
  const subproblems = (problem.subproblems ?? []).map((p) => `${p.identifier?.value ?? "?"}: ${describe(p)}`);
  return [own, ...subproblems].join("; ");
}

/** A provider that is down, slow or rate-limiting, or a data store or lease that is busy: worth a retry. */
function isTransient(error: CharonError): boolean {
  if (error instanceof ServiceUnavailableError) return true;
  return error instanceof DnsProviderError && TRANSIENT_PROVIDER_FAILURES.has(error.reason);
}

const TRANSIENT_PROVIDER_FAILURES = new Set<DnsProviderFailure>(["rate_limited", "unavailable", "timeout", "network"]);

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The identifier a CharonError is about, when it names one (the solver's `identifier` extra). */
function identifierOf(error: CharonError): string[] {
  const identifier = error.extra["identifier"];
  return typeof identifier === "string" ? [identifier] : [];
}
