import { randomUUID } from "node:crypto";
import {
  ConcurrentModificationError,
  ConflictError,
  LeaseLostError,
  NotFoundError,
  type IssuanceOrder,
  type IssuanceRepository,
  type IssuedFields,
  type IssuedMaterial,
  type AuditEntry,
  type Certificate,
  type CertificateRepository,
  type CredentialUsage,
  type Page,
  type PageRequest,
  type RenewalSchedule,
} from "@charon/core";
import { ConditionFailed, TransactionConflict, type DynamoTable, type Item, type TransactItem } from "../dynamodb/table.js";
import { markDesiredStateChanged } from "./desired-state.js";
import { auditEntryPut } from "./audit-entries.js";
import { fromUsageItem, usageKey, usageSteps, usageWrites, type UsageItem } from "./credential-usage.js";
import { MAX_TRANSACTION_ITEMS, WriteConflict, transactNamed } from "./transaction-steps.js";
import { sortableId } from "../dynamodb/sortable-id.js";
import { expiryItem, expiryKey, scheduleUpdate } from "./renewals.js";

/**
 * Items (packages/aws/README.md, "Certificates"):
 * - `CERTIFICATE#<id>` / `CERTIFICATE`: the certificate with `host_count` (moved by the proxy
 *   host repository) and `usage_version` (moved by each step of a create after the first);
 *   gsi1 `CERTIFICATES` / `CERTIFICATE#<id>` lists certificates.
 * - per name, the DNS side's usage item and the credential's `usage_count`
 *   (credential-usage.ts), written and removed with the certificate, in steps of at most one
 *   transaction each carrying the count changes of its own usage items
 *   (docs/decisions/0008-large-transactions.md).
 */
export class DynamoCertificateRepository implements CertificateRepository {
  constructor(private readonly table: DynamoTable) {}

  async get(id: number): Promise<Certificate | undefined> {
    const item = await this.table.get<Item>(certificateKey(id), true);
    return item ? certificateFromItem(item) : undefined;
  }

  async getMany(ids: number[]): Promise<Certificate[]> {
    const items = await this.table.batchGet<Item>(ids.map(certificateKey));
    return items.map(certificateFromItem);
  }

  async list(page: PageRequest): Promise<Page<Certificate>> {
    return this.table.queryPage({ partition: CERTIFICATE_LIST, index: "gsi1", ...page }, certificateFromItem);
  }

  /**
   * The certificate, its audit entry and the first usages in one transaction; the usages that do
   * not fit follow, step by step. Stored first, the certificate is never missing while usage
   * items (which keep credentials and the provider from being deleted) point at it.
   */
  async create(certificate: Omit<Certificate, "id">, audit: (id: number) => AuditEntry): Promise<Certificate> {
    const id = await this.table.nextId("certificate");
    const stored: Certificate = { ...certificate, id };
    const [first = [], ...later] = usageSteps(usagesOf(stored), MAX_TRANSACTION_ITEMS, RESERVED_PER_STEP);
    try {
      await transactNamed(this.table, [
        { Put: { TableName: this.table.name, Item: toItem(stored), ConditionExpression: "attribute_not_exists(pk)" } },
        auditEntryPut(this.table.name, audit(id)),
        ...(stored.expires_on ? [{ Put: { TableName: this.table.name, Item: expiryItem(id, stored.expires_on) } }] : []),
        ...usageWrites(this.table.name, first, 1),
      ]);
    } catch (error) {
      throw this.translated(error, id);
    }
    for (const step of later) {
      try {
        await transactNamed(this.table, [usageVersionBump(this.table.name, id), ...usageWrites(this.table.name, step, 1)]);
      } catch (error) {
        // Deleted meanwhile (its id is listed from the first step on): that delete required
        // the `usage_version` it had read, so it removed every usage stored before it.
        if (error instanceof WriteConflict && error.partition === certificateKey(id).pk) return stored;
        throw await this.undoCreate(stored, audit(id), error);
      }
    }
    return stored;
  }

  async delete(certificate: Certificate, audit: AuditEntry): Promise<void> {
    await this.remove(certificate.id, audit);
  }

  async requestRenewal(certificate: Certificate, at: string, audit: AuditEntry): Promise<Certificate> {
    try {
      await this.table.transact([
        {
          Update: {
            TableName: this.table.name,
            Key: certificateKey(certificate.id),
            UpdateExpression: "SET renewal_requested_at = :at, modified_on = :at",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":at": at },
          },
        },
        auditEntryPut(this.table.name, audit),
      ]);
    } catch (error) {
      if (error instanceof TransactionConflict && error.firstFailed() === 0) {
        throw new NotFoundError("Certificate", certificate.id);
      }
      throw error;
    }
    return { ...certificate, renewal_requested_at: at, modified_on: at };
  }

  /**
   * Removes the usage items the certificate's names hold now (a re-evaluation may have moved
   * them to other credentials since the certificate was stored), each step lowering the counts
   * of the credentials they point at, and the certificate with its audit entry last. A crash
   * between steps leaves a certificate with fewer usage items, whose counts match them, and a
   * repeated DELETE finishes the job. Every step requires the certificate as read (no proxy
   * host, no create step landed since) and each usage as read, so a concurrent change cancels
   * it and the delete reads again.
   */
  private async remove(id: number, audit: AuditEntry): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const item = await this.table.get<Item>(certificateKey(id), true);
      if (!item) throw new NotFoundError("Certificate", id);
      if (Number(item["host_count"] ?? 0) > 0) throw await this.inUse(id);
      const steps = usageSteps(await this.storedUsages(certificateFromItem(item)), MAX_TRANSACTION_ITEMS, RESERVED_PER_STEP);
      const last = steps.pop() ?? [];
      const asRead = { TableName: this.table.name, Key: certificateKey(id), ...unchangedSince(item) };
      try {
        for (const step of steps) {
          await transactNamed(this.table, [{ ConditionCheck: asRead }, ...usageWrites(this.table.name, step, -1)]);
        }
        await transactNamed(this.table, [
          { Delete: asRead },
          auditEntryPut(this.table.name, audit),
          // Its order, material (the sealed key) and expiry index entry go with it.
          { Delete: { TableName: this.table.name, Key: orderKey(id) } },
          { Delete: { TableName: this.table.name, Key: materialKey(id) } },
          { Delete: { TableName: this.table.name, Key: expiryKey(id) } },
          ...usageWrites(this.table.name, last, -1),
        ]);
        await markDesiredStateChanged(this.table);
        return;
      } catch (error) {
        if (!(error instanceof WriteConflict)) throw this.translated(error, id);
        if (attempt === MAX_DELETE_ATTEMPTS) throw new ConcurrentModificationError("Certificate", id, { cause: error });
      }
    }
  }

  /**
   * A step after the first failed, so the certificate is stored with part of its usages. An
   * error answered while it stays would invite a retry that stores it twice, so it is removed
   * again (with an audit entry, since its creation has one) and then the error is answered.
   */
  private async undoCreate(certificate: Certificate, requested: AuditEntry, error: unknown): Promise<unknown> {
    const undone: AuditEntry = { ...requested, action: "certificate_deleted", details: { ...requested.details, undone_request: true } };
    try {
      await this.remove(certificate.id, undone);
    } catch (undoError) {
      // Still stored, with counts that match its usage items (0008): report both failures.
      if (!(undoError instanceof NotFoundError)) {
        return new AggregateError([error, undoError], `Certificate ${certificate.id} was stored with part of its DNS usages`);
      }
    }
    return this.translated(error, certificate.id);
  }

  /** The usage items of the certificate's names as stored now, read by key. */
  private async storedUsages(certificate: Certificate): Promise<CredentialUsage[]> {
    const names = usagesOf(certificate);
    const items = await this.table.batchGet<UsageItem>(names.map(usageKey), true);
    return items.map(fromUsageItem);
  }

  private translated(error: unknown, id: number): unknown {
    if (error instanceof TransactionConflict) {
      return new ConcurrentModificationError("Certificate", id, { cause: error });
    }
    if (error instanceof WriteConflict && error.partition.startsWith("PROVIDER#")) {
      // A credential was removed between resolving it and storing the certificate.
      return new ConflictError("A DNS credential chosen for this certificate was removed meanwhile; retry", {});
    }
    return error;
  }

  private async inUse(id: number): Promise<ConflictError> {
    const hosts = await this.table.queryAll<Item>({ partition: `CERTHOSTS#${id}`, index: "gsi2" });
    const ids = hosts.map((h) => Number(h["id"]));
    const domains = hosts.flatMap((h) => h["domain_names"] as string[]);
    const noun = ids.length === 1 ? "proxy host is" : "proxy hosts are";
    return new ConflictError(
      "Remove the certificate from these proxy hosts first",
      { proxy_host_ids: ids, affected_domains: domains },
      `Cannot delete certificate: ${ids.length} ${noun} using this certificate`,
    );
  }
}

/** Items in every step beside the usages: the certificate (put, check or delete), the audit entry, its order, material and expiry entry. */
const RESERVED_PER_STEP = 5;

/** Reads a delete makes before giving up when concurrent changes keep cancelling its steps. */
const MAX_DELETE_ATTEMPTS = 5;

/** The usage of each name as recorded when the certificate was created. */
function usagesOf(certificate: Certificate): CredentialUsage[] {
  const providerId = certificate.dns_provider?.id;
  if (providerId === undefined) return [];
  return certificate.credentials.map((c) => ({
    providerId,
    certificateId: certificate.id,
    domain: c.domain,
    credentialId: c.credential_id,
  }));
}

/**
 * Marks a create step on the certificate: a delete that read the certificate before it fails
 * its condition and reads the usages again, so it cannot leave this step's usages behind.
 */
function usageVersionBump(tableName: string, id: number): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: certificateKey(id),
      UpdateExpression: "ADD usage_version :one",
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeValues: { ":one": 1 },
    },
  };
}

/** The certificate still exists, unused, and no create step has landed since `item` was read. */
function unchangedSince(item: Item) {
  const version = item["usage_version"];
  const unused = "attribute_exists(pk) AND (attribute_not_exists(host_count) OR host_count = :zero)";
  return version === undefined
    ? { ConditionExpression: `${unused} AND attribute_not_exists(usage_version)`, ExpressionAttributeValues: { ":zero": 0 } }
    : { ConditionExpression: `${unused} AND usage_version = :version`, ExpressionAttributeValues: { ":zero": 0, ":version": version } };
}

/** The gsi1 partition that lists certificates. */
const CERTIFICATE_LIST = "CERTIFICATES";

export function certificateKey(id: number) {
  return { pk: `CERTIFICATE#${id}`, sk: "CERTIFICATE" };
}

function toItem(certificate: Certificate): Item {
  return {
    ...certificateKey(certificate.id),
    gsi1pk: CERTIFICATE_LIST,
    gsi1sk: `CERTIFICATE#${sortableId(certificate.id)}`,
    ...certificate,
  };
}

export function certificateFromItem(item: Item): Certificate {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, gsi2pk: _r, gsi2sk: _rs, host_count: _count, usage_version: _version, ...certificate } = item;
  return certificate as unknown as Certificate;
}

/**
 * Orders and issued material (packages/aws/README.md, "Certificates"):
 * - `CERTIFICATE#<id>` / `ORDER`: the open or last order (`order`, a map), its lease
 *   (`lease_owner`, `lease_until`), `open`, and while open gsi2 `ORDERS_OPEN` / `CERTIFICATE#<id>`
 *   (a sparse index: only open orders are in it).
 * - `CERTIFICATE#<id>` / `MATERIAL`: the certificate in service, its chain and its sealed key.
 * Each write after a claim is conditional on the lease (`lease_owner`), so a worker that lost
 * it cannot overwrite its successor's progress.
 */
export class DynamoIssuanceRepository implements IssuanceRepository {
  constructor(private readonly table: DynamoTable) {}

  async open(order: IssuanceOrder): Promise<boolean> {
    try {
      await this.table.transact([
        {
          Put: {
            TableName: this.table.name,
            Item: orderItem(order, true),
            ConditionExpression: "attribute_not_exists(pk) OR #open = :closed",
            ExpressionAttributeNames: { "#open": "open" },
            ExpressionAttributeValues: { ":closed": false },
          },
        },
        {
          Update: {
            TableName: this.table.name,
            Key: certificateKey(order.certificateId),
            UpdateExpression: "SET #step = :step",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeNames: { "#step": "step" },
            ExpressionAttributeValues: { ":step": order.step },
          },
        },
      ]);
      return true;
    } catch (error) {
      if (error instanceof TransactionConflict && error.firstFailed() === 0) return false;
      if (error instanceof TransactionConflict) throw new NotFoundError("Certificate", order.certificateId);
      throw error;
    }
  }

  async claim(
    certificateId: number,
    owner: string,
    now: Date,
    leaseUntil: Date,
  ): Promise<IssuanceOrder | { heldUntil: string } | undefined> {
    const item = await this.table.get<Item>(orderKey(certificateId), true);
    if (!item || item["open"] !== true) return undefined;
    const holder = item["lease_owner"] as string | undefined;
    const until = item["lease_until"] as string | undefined;
    if (holder !== undefined && holder !== owner && until !== undefined && until > now.toISOString()) {
      return { heldUntil: until };
    }
    try {
      await this.table.put(
        { ...item, lease_owner: owner, lease_until: leaseUntil.toISOString() },
        {
          expression: "#open = :open AND version = :version",
          names: { "#open": "open" },
          values: { ":open": true, ":version": item["version"] },
        },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      // Another worker claimed it (or closed it) between the read and the write.
      const now2 = error.item;
      if (!now2 || now2["open"] !== true) return undefined;
      return { heldUntil: String(now2["lease_until"] ?? now.toISOString()) };
    }
    return { ...(item["order"] as IssuanceOrder), leaseOwner: owner, leaseUntil: leaseUntil.toISOString() };
  }

  async save(order: IssuanceOrder, owner: string): Promise<void> {
    await this.leased(order, [this.orderPut(order, owner, true), this.progressUpdate(order)]);
  }

  async release(order: IssuanceOrder, owner: string): Promise<void> {
    await this.leased(order, [this.orderPut({ ...order, leaseOwner: undefined, leaseUntil: undefined }, owner, true)]);
  }

  async storeIssued(order: IssuanceOrder, owner: string, material: IssuedMaterial, fields: IssuedFields, schedule: RenewalSchedule): Promise<void> {
    const filed = scheduleUpdate(order.certificateId, schedule);
    const values: Record<string, unknown> = { ":active": "active", ":step": order.step, ":null": null, ...filed.values };
    const sets = ["#status = :active", "#step = :step", "#error = :null", "next_retry_at = :null", "modified_on = :issued", "last_renewed_at = :issued", ...filed.sets];
    for (const [name, value] of Object.entries(fields)) {
      values[`:${name}`] = value;
      sets.push(`${name} = :${name}`);
    }
    values[":issued"] = fields.issued_at;
    await this.leased(order, [
      this.orderPut(order, owner, true),
      {
        Put: {
          TableName: this.table.name,
          Item: {
            ...materialKey(order.certificateId),
            certificate_pem: material.certificatePem,
            chain_pem: material.chainPem,
            sealed_key: material.sealedKey,
          },
        },
      },
      ...(fields.expires_on ? [{ Put: { TableName: this.table.name, Item: expiryItem(order.certificateId, fields.expires_on) } }] : []),
      {
        Update: {
          TableName: this.table.name,
          Key: certificateKey(order.certificateId),
          UpdateExpression: `SET ${sets.join(", ")}`,
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#status": "status", "#step": "step", "#error": "error" },
          ExpressionAttributeValues: values,
        },
      },
    ]);
    // A certificate in service, or a renewed one: the agents' snapshot changed.
    await markDesiredStateChanged(this.table);
  }

  async close(order: IssuanceOrder, owner: string, failure: string | undefined, schedule?: RenewalSchedule): Promise<void> {
    const inService = failure !== undefined && (await this.material(order.certificateId)) !== undefined;
    const status = failure === undefined || inService ? "active" : "failed";
    const filed = schedule ? scheduleUpdate(order.certificateId, schedule) : { sets: [], values: {} };
    await this.leased(order, [
      this.orderPut({ ...order, leaseOwner: undefined, leaseUntil: undefined, failure }, owner, false),
      {
        Update: {
          TableName: this.table.name,
          Key: certificateKey(order.certificateId),
          UpdateExpression: `SET ${["#status = :status", "#step = :null", "#error = :error", "next_retry_at = :null", ...filed.sets].join(", ")}`,
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#status": "status", "#step": "step", "#error": "error" },
          ExpressionAttributeValues: { ":status": status, ":null": null, ":error": failure ?? null, ...filed.values },
        },
      },
    ]);
  }

  async material(certificateId: number): Promise<IssuedMaterial | undefined> {
    const item = await this.table.get<Item>(materialKey(certificateId), true);
    if (!item) return undefined;
    return {
      certificatePem: String(item["certificate_pem"]),
      chainPem: String(item["chain_pem"]),
      sealedKey: String(item["sealed_key"]),
    };
  }

  async openOrders(): Promise<number[]> {
    const items = await this.table.queryAll<Item>({ partition: OPEN_ORDERS, index: "gsi2" });
    return items.map((item) => Number((item["order"] as IssuanceOrder).certificateId));
  }

  private orderPut(order: IssuanceOrder, owner: string, open: boolean): TransactItem {
    return {
      Put: {
        TableName: this.table.name,
        Item: orderItem(order, open),
        ConditionExpression: "lease_owner = :owner AND #open = :open",
        ExpressionAttributeNames: { "#open": "open" },
        ExpressionAttributeValues: { ":owner": owner, ":open": true },
      },
    };
  }

  /**
   * What the certificate shows of its open order: the step reached, and the error that ends it,
   * or while a step waits to be retried, that attempt's error and when the retry comes.
   */
  private progressUpdate(order: IssuanceOrder): TransactItem {
    return {
      Update: {
        TableName: this.table.name,
        Key: certificateKey(order.certificateId),
        UpdateExpression: "SET #step = :step, #error = :error, next_retry_at = :retry",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeNames: { "#step": "step", "#error": "error" },
        ExpressionAttributeValues: {
          ":step": order.step,
          ":error": order.failure ?? order.retryError ?? null,
          ":retry": order.retryAt ?? null,
        },
      },
    };
  }

  /** Runs `items` (the order's put first); a failed lease condition is LeaseLostError. */
  private async leased(order: IssuanceOrder, items: TransactItem[]): Promise<void> {
    try {
      await this.table.transact(items);
    } catch (error) {
      if (error instanceof TransactionConflict && error.firstFailed() === 0) throw new LeaseLostError(order.certificateId);
      if (error instanceof TransactionConflict) throw new NotFoundError("Certificate", order.certificateId);
      throw error;
    }
  }
}

/** The gsi2 partition of open orders. */
const OPEN_ORDERS = "ORDERS_OPEN";

function orderKey(certificateId: number) {
  return { pk: `CERTIFICATE#${certificateId}`, sk: "ORDER" };
}

function materialKey(certificateId: number) {
  return { pk: `CERTIFICATE#${certificateId}`, sk: "MATERIAL" };
}

/** The order item; `version` changes with every write so a claim can require what it read. */
function orderItem(order: IssuanceOrder, open: boolean): Item {
  const { leaseOwner, leaseUntil, ...state } = order;
  return {
    ...orderKey(order.certificateId),
    order: JSON.parse(JSON.stringify(state)) as Item,
    open,
    version: randomUUID(),
    ...(leaseOwner !== undefined ? { lease_owner: leaseOwner, lease_until: leaseUntil } : {}),
    ...(open ? { gsi2pk: OPEN_ORDERS, gsi2sk: `CERTIFICATE#${sortableId(order.certificateId)}` } : {}),
  };
}
