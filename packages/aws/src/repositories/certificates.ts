import {
  ConcurrentModificationError,
  ConflictError,
  NotFoundError,
  type AuditEntry,
  type Certificate,
  type CertificateRepository,
  type Page,
  type PageRequest,
} from "@charon/core";
import { TransactionConflict, type DynamoTable, type Item, type TransactItem } from "../dynamodb/table.js";
import { auditEntryPut } from "./audit-entries.js";
import { usageCountChange, usageDelete, usagePut, type CredentialUsage } from "./credential-usage.js";
import { WriteConflict, writeInSteps } from "./transaction-steps.js";
import { sortableId } from "../dynamodb/sortable-id.js";

/**
 * Items (packages/aws/README.md, "Certificates"):
 * - `CERTIFICATE#<id>` / `CERTIFICATE`: the certificate with `host_count` (moved by the proxy
 *   host repository); gsi1 `CERTIFICATES` / `CERTIFICATE#<id>` lists certificates.
 * - per name, the DNS side's usage item and the credential's `usage_count`
 *   (credential-usage.ts), written and removed with the certificate.
 */
export class DynamoCertificateRepository implements CertificateRepository {
  constructor(private readonly table: DynamoTable) {}

  async get(id: number): Promise<Certificate | undefined> {
    const item = await this.table.get<Item>(certificateKey(id), true);
    return item ? fromItem(item) : undefined;
  }

  async getMany(ids: number[]): Promise<Certificate[]> {
    const items = await this.table.batchGet<Item>(ids.map(certificateKey));
    return items.map(fromItem);
  }

  async list(page: PageRequest): Promise<Page<Certificate>> {
    const result = await this.table.queryPage<Item>({ partition: CERTIFICATE_LIST, index: "gsi1", ...page });
    return { items: result.items.map(fromItem), cursor: result.cursor };
  }

  async create(certificate: Omit<Certificate, "id">, audit: (id: number) => AuditEntry): Promise<Certificate> {
    const id = await this.table.nextId("certificate");
    const stored: Certificate = { ...certificate, id };
    const { usageItems, countItems } = this.usageWrites(stored, 1);
    try {
      // Each credential's count moves with the certificate; usage items beyond one transaction
      // follow it (docs/decisions/0008-large-transactions.md).
      await writeInSteps(this.table, {
        core: [
          { Put: { TableName: this.table.name, Item: toItem(stored), ConditionExpression: "attribute_not_exists(pk)" } },
          auditEntryPut(this.table.name, audit(id)),
          ...countItems,
        ],
        after: usageItems,
      });
    } catch (error) {
      throw this.translated(error, stored);
    }
    return stored;
  }

  async delete(certificate: Certificate, audit: AuditEntry): Promise<void> {
    const { usageItems, countItems } = this.usageWrites(certificate, -1);
    try {
      await writeInSteps(this.table, {
        core: [
          {
            Delete: {
              TableName: this.table.name,
              Key: certificateKey(certificate.id),
              ConditionExpression: "attribute_exists(pk) AND (attribute_not_exists(host_count) OR host_count = :zero)",
              ExpressionAttributeValues: { ":zero": 0 },
            },
          },
          auditEntryPut(this.table.name, audit),
          ...countItems,
        ],
        after: usageItems,
      });
    } catch (error) {
      if (error instanceof WriteConflict && error.partition === certificateKey(certificate.id).pk) {
        throw await this.inUse(certificate);
      }
      throw this.translated(error, certificate);
    }
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

  /** The usage items of the certificate's names, and one count change per credential. */
  private usageWrites(certificate: Certificate, direction: 1 | -1) {
    const providerId = certificate.dns_provider?.id;
    if (providerId === undefined) return { usageItems: [], countItems: [] };
    const usages: CredentialUsage[] = certificate.credentials.map((c) => ({
      providerId,
      certificateId: certificate.id,
      domain: c.domain,
      credentialId: c.credential_id,
    }));
    const perCredential = new Map<number, number>();
    for (const u of usages) perCredential.set(u.credentialId, (perCredential.get(u.credentialId) ?? 0) + 1);
    const usageItems: TransactItem[] = usages.map((u) =>
      direction > 0 ? usagePut(this.table.name, u) : usageDelete(this.table.name, u),
    );
    const countItems = [...perCredential].map(([credentialId, count]) =>
      usageCountChange(this.table.name, providerId, credentialId, direction * count),
    );
    return { usageItems, countItems };
  }

  private translated(error: unknown, certificate: Certificate): unknown {
    if (error instanceof TransactionConflict) {
      return new ConcurrentModificationError("Certificate", certificate.id, { cause: error });
    }
    if (error instanceof WriteConflict && error.partition.startsWith("PROVIDER#")) {
      // A credential was removed between resolving it and storing the certificate.
      return new ConflictError("A DNS credential chosen for this certificate was removed meanwhile; retry", {});
    }
    return error;
  }

  private async inUse(certificate: Certificate): Promise<ConflictError> {
    const hosts = await this.table.queryAll<Item>({ partition: `CERTHOSTS#${certificate.id}`, index: "gsi2" });
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

function fromItem(item: Item): Certificate {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, host_count: _count, ...certificate } = item;
  return certificate as unknown as Certificate;
}
