import { setTimeout as delay } from "node:timers/promises";
import {
  ServiceUnavailableError,
  ValidationError,
  type ChallengeCredentials,
  type ChallengeRecord,
  type ConnectedCredential,
  type Dns01Solver,
  type NameServerAnswer,
  type PresentReceipt,
  type PropagationState,
  type RecordLeases,
} from "@charon/core";
import { normaliseName } from "@charon/zones";
import { DnsQueryError, type NameServer } from "./dns-query.js";
import type { NameServers } from "./name-servers.js";

/** dns-01.md §2: 60 s, raised by each provider's adapter to its minimum. */
export const CHALLENGE_TTL_SECONDS = 60;

const ACME_LABEL = "_acme-challenge.";

export interface Dns01SolverOptions {
  challenges: ChallengeCredentials;
  leases: RecordLeases;
  nameServers: NameServers;
  /** `CHARON_DNS_RESOLVERS`: asked instead of the zone's authoritative servers (split horizon). */
  propagationServers?: NameServer[];
  /**
   * How long one lease lasts (ms): longer than one provider write with its retries, so a holder
   * never loses it mid-write; a holder that crashed is taken over after it.
   */
  leaseMs?: number;
  /** How long to wait for another holder's lease before giving up with a 503 (ms). */
  leaseWaitMs?: number;
}

/**
 * The DNS-01 solver (shared/spec/dns-01.md §1–3) over the core's challenge seam, a lease per
 * record name in the data store, and direct DNS queries.
 */
export class DnsSolver implements Dns01Solver {
  private readonly leaseMs: number;
  private readonly leaseWaitMs: number;

  constructor(private readonly options: Dns01SolverOptions) {
    this.leaseMs = options.leaseMs ?? 60_000;
    this.leaseWaitMs = options.leaseWaitMs ?? 20_000;
  }

  async locate(providerId: number, identifier: string): Promise<ChallengeRecord> {
    const normalised = normaliseName(identifier);
    if (!normalised.ok) throw new ValidationError(normalised.error.details, normalised.error.title);
    const name = normalised.value;
    const recordName = ACME_LABEL + (name.startsWith("*.") ? name.slice(2) : name);
    const cnameChain = await this.options.nameServers.cnameChain(recordName);
    const effectiveRecordName = cnameChain.at(-1) ?? recordName;
    // Without delegation the name's own credential (a `*.z` filter serves `*.z`); with it, the
    // credential of the name the value is written under, less its `_acme-challenge.` label.
    const selectFor = cnameChain.length === 0 ? name : withoutAcmeLabel(effectiveRecordName);
    const { provider, credential } = await this.options.challenges.choose(providerId, selectFor);
    return {
      identifier: name,
      recordName,
      effectiveRecordName,
      cnameChain,
      providerId: provider.id,
      providerType: provider.type,
      credential,
    };
  }

  async present(record: ChallengeRecord, value: string): Promise<PresentReceipt> {
    const connected = await this.connect(record);
    // Only the read-modify-write of the record set needs the lease; finding the zone does not.
    const zone = await this.options.challenges.hostedZone(connected, record.effectiveRecordName);
    return this.underLease(record.effectiveRecordName, value, async () => {
      const change = await connected.client.addTxtRecord(zone, record.effectiveRecordName, value, CHALLENGE_TTL_SECONDS);
      return change ? { changeId: change.changeId } : {};
    });
  }

  async cleanUp(record: ChallengeRecord, value: string): Promise<void> {
    const connected = await this.connect(record);
    const zone = await this.options.challenges.hostedZone(connected, record.effectiveRecordName);
    await this.underLease(record.effectiveRecordName, value, () =>
      connected.client.removeTxtRecord(zone, record.effectiveRecordName, value),
    );
  }

  async checkPropagation(record: ChallengeRecord, value: string, receipt?: PresentReceipt): Promise<PropagationState> {
    if (receipt?.changeId !== undefined) {
      const { client } = await this.connect(record);
      if (client.changeStatus && (await client.changeStatus(receipt.changeId)) === "pending") {
        return { propagated: false, servers: [], pendingChange: `${record.providerType} change ${receipt.changeId} is not in sync yet` };
      }
    }
    const { nameServers } = this.options;
    let servers: NameServer[];
    try {
      servers = this.options.propagationServers ?? (await nameServers.authoritative(record.effectiveRecordName));
    } catch (error) {
      // No zone or name servers found (yet): not propagated, and the report says why.
      if (!(error instanceof DnsQueryError)) throw error;
      return { propagated: false, servers: [{ server: error.server.label, values: [], error: error.message }] };
    }
    const answers: NameServerAnswer[] = await Promise.all(
      servers.map(async (server) => ({ server: server.label, ...(await nameServers.txtValues(server, record.effectiveRecordName)) })),
    );
    const missing = answers.filter((answer) => !answer.values.includes(value));
    return missing.length === 0 && answers.length > 0
      ? { propagated: true, servers: answers }
      : { propagated: false, servers: missing };
  }

  private connect(record: ChallengeRecord): Promise<ConnectedCredential> {
    return this.options.challenges.connect({ id: record.providerId, type: record.providerType }, record.credential.id);
  }

  /**
   * Runs `work` holding the lease on `recordName`. Another holder's lease covers one provider
   * write, so it is waited for briefly (jittered back-off); past `leaseWaitMs` the caller gets a
   * 503 and its retry comes later (a delayed message), rather than a process idling.
   *
   * The owner is the challenge's value (base64url of a SHA-256 digest, RFC 8555 §8.4: unique to
   * one challenge of one order, and public anyway): a worker that died holding the lease is
   * resumed by one that writes or removes the same value, which takes its own lease back at once
   * instead of waiting for it to expire. Any other order, and the other name of an apex +
   * wildcard pair (another value), still waits.
   */
  private async underLease<T>(recordName: string, value: string, work: () => Promise<T>): Promise<T> {
    const owner = `dns-01 value ${value}`;
    const giveUpAt = Date.now() + this.leaseWaitMs;
    for (let pause = 20; !(await this.options.leases.acquire(recordName, owner, this.leaseMs)); pause = Math.min(pause * 2, 200)) {
      if (Date.now() + pause > giveUpAt) {
        throw new ServiceUnavailableError(`Another order is writing TXT values at ${recordName}; retry shortly`);
      }
      await delay(pause / 2 + Math.random() * (pause / 2));
    }
    try {
      return await work();
    } finally {
      await this.options.leases.release(recordName, owner);
    }
  }
}

function withoutAcmeLabel(recordName: string): string {
  return recordName.startsWith(ACME_LABEL) ? recordName.slice(ACME_LABEL.length) : recordName;
}
