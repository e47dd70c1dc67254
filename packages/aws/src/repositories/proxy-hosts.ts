import {
  ConcurrentModificationError,
  ConflictError,
  NotFoundError,
  type AuditEntry,
  type Page,
  type PageRequest,
  type ProxyHost,
  type ProxyLocation,
  type ProxyHostFields,
  type ProxyHostRepository,
} from "@charon/core";
import { TransactionConflict, type DynamoTable, type Item, type TransactItem } from "../dynamodb/table.js";
import { auditEntryPut } from "./audit-entries.js";
import { markDesiredStateChanged } from "./desired-state.js";
import { certificateKey } from "./certificates.js";
import { WriteConflict, writeInSteps } from "./transaction-steps.js";
import { sortableId } from "../dynamodb/sortable-id.js";

/**
 * Items (packages/aws/README.md, "Proxy hosts"):
 * - `PROXYHOST#<id>` / `PROXYHOST`: the host; gsi1 `PROXYHOSTS` / `PROXYHOST#<id>` lists hosts;
 *   gsi2 `CERTHOSTS#<certificateId>` / `PROXYHOST#<id>` lists the hosts of a certificate.
 * - `DOMAIN#<name>` / `CLAIM`: which host serves a name; written with the host, so two hosts
 *   can never hold one name.
 * - the certificate item's `host_count`, moved with the host, so a certificate in use cannot be
 *   deleted.
 */
export class DynamoProxyHostRepository implements ProxyHostRepository {
  constructor(private readonly table: DynamoTable) {}

  async get(id: number): Promise<ProxyHost | undefined> {
    const item = await this.table.get<HostItem>(hostKey(id), true);
    return item ? fromItem(item) : undefined;
  }

  async list(page: PageRequest): Promise<Page<ProxyHost>> {
    return this.table.queryPage({ partition: HOST_LIST, index: "gsi1", ...page }, fromItem);
  }

  async listAll(): Promise<ProxyHost[]> {
    const items = await this.table.queryAll<HostItem>({ partition: HOST_LIST, index: "gsi1" });
    return items.map(fromItem);
  }

  async idsUsingCertificates(certificateIds: number[]): Promise<number[]> {
    const pages = await Promise.all(
      certificateIds.map((id) => this.table.queryAll<HostItem>({ partition: `CERTHOSTS#${id}`, index: "gsi2" })),
    );
    return [...new Set(pages.flat().map((item) => item.id))];
  }

  async create(host: ProxyHostFields & { created_on: string }, audit: (id: number) => AuditEntry): Promise<ProxyHost> {
    const id = await this.table.nextId("proxy-host");
    const stored: ProxyHost = { ...host, id, modified_on: host.created_on, version: 1 };
    await this.withStaleClaimsHealed(stored.modified_on, () =>
      writeInSteps(this.table, {
        core: [
          { Put: { TableName: this.table.name, Item: toItem(stored), ConditionExpression: "attribute_not_exists(pk)" } },
          auditEntryPut(this.table.name, audit(id)),
          ...this.certificateUse(stored.certificate_id, 1),
        ],
        before: stored.domain_names.map((name) => this.claim(name, stored)),
        undoBefore: (item) => this.release(String(item.Put?.Item?.["domain"]), id),
      }),
    );
    await markDesiredStateChanged(this.table);
    return stored;
  }

  async update(previous: ProxyHost, next: ProxyHostFields & { modified_on: string }, audit: AuditEntry): Promise<ProxyHost> {
    const stored: ProxyHost = { ...next, id: previous.id, created_on: previous.created_on, version: previous.version + 1 };
    const added = stored.domain_names.filter((n) => !previous.domain_names.includes(n));
    const removed = previous.domain_names.filter((n) => !stored.domain_names.includes(n));
    const certificateChanged = previous.certificate_id !== stored.certificate_id;
    await this.withStaleClaimsHealed(stored.modified_on, () =>
      writeInSteps(this.table, {
        core: [
          {
            Put: {
              TableName: this.table.name,
              Item: toItem(stored),
              ConditionExpression: "version = :version",
              ExpressionAttributeValues: { ":version": previous.version },
            },
          },
          auditEntryPut(this.table.name, audit),
          ...(certificateChanged
            ? [...this.certificateUse(stored.certificate_id, 1), ...this.certificateUse(previous.certificate_id, -1)]
            : []),
        ],
        before: added.map((name) => this.claim(name, stored)),
        after: removed.map((name) => this.release(name, stored.id)),
        undoBefore: (item) => this.release(String(item.Put?.Item?.["domain"]), stored.id),
      }),
    );
    await markDesiredStateChanged(this.table);
    return stored;
  }

  async delete(host: ProxyHost, audit: AuditEntry): Promise<void> {
    await this.withStaleClaimsHealed(audit.timestamp, () =>
      writeInSteps(this.table, {
        core: [
          {
            Delete: {
              TableName: this.table.name,
              Key: hostKey(host.id),
              ConditionExpression: "version = :version",
              ExpressionAttributeValues: { ":version": host.version },
            },
          },
          auditEntryPut(this.table.name, audit),
          ...this.certificateUse(host.certificate_id, -1),
        ],
        after: host.domain_names.map((name) => this.release(name, host.id)),
      }),
    );
    await markDesiredStateChanged(this.table);
  }

  /**
   * Runs a write, translating failed conditions. A claim held by a host that no longer holds
   * the name (left over by an interrupted multi-step write, older than the grace period) is
   * removed and the write retried once.
   */
  private async withStaleClaimsHealed(now: string, write: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (error instanceof TransactionConflict) {
          throw new ConcurrentModificationError("Proxy host", "(concurrent write)", { cause: error });
        }
        if (!(error instanceof WriteConflict)) throw error;
        const partition = error.partition;
        if (partition.startsWith("PROXYHOST#")) {
          throw new ConcurrentModificationError("Proxy host", partition.slice("PROXYHOST#".length), { cause: error });
        }
        if (partition.startsWith("CERTIFICATE#")) {
          const id = partition.slice("CERTIFICATE#".length);
          throw new NotFoundError("Certificate", id, "certificate_id");
        }
        if (!partition.startsWith("DOMAIN#") || !error.stored) throw error;
        if (attempt === 0 && (await this.removeIfStale(error.stored, now))) continue;
        const domain = String(error.stored["domain"]);
        const holder = Number(error.stored["proxy_host_id"]);
        throw new ConflictError(`Domain name '${domain}' is already used by proxy host ${holder}`, {
          conflicting_proxy_host_id: holder,
          domain,
        });
      }
    }
  }

  private async removeIfStale(claim: Item, now: string): Promise<boolean> {
    const holder = Number(claim["proxy_host_id"]);
    const claimedAt = String(claim["claimed_at"]);
    if (Date.parse(claimedAt) > Date.parse(now) - STALE_CLAIM_GRACE_MS) return false;
    const host = await this.get(holder);
    if (host?.domain_names.includes(String(claim["domain"]))) return false;
    await this.table
      .delete(claimKey(String(claim["domain"])), {
        expression: "proxy_host_id = :holder AND claimed_at = :at",
        values: { ":holder": holder, ":at": claimedAt },
      })
      .catch(() => undefined);
    return true;
  }

  private claim(domain: string, host: ProxyHost): TransactItem {
    return {
      Put: {
        TableName: this.table.name,
        Item: { ...claimKey(domain), domain, proxy_host_id: host.id, claimed_at: host.modified_on },
        ConditionExpression: "attribute_not_exists(pk) OR proxy_host_id = :self",
        ExpressionAttributeValues: { ":self": host.id },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    };
  }

  private release(domain: string, hostId: number): TransactItem {
    return {
      Delete: {
        TableName: this.table.name,
        Key: claimKey(domain),
        ConditionExpression: "attribute_not_exists(pk) OR proxy_host_id = :self",
        ExpressionAttributeValues: { ":self": hostId },
      },
    };
  }

  /** Moves the certificate's `host_count`; taking a certificate requires that it exists. */
  private certificateUse(certificateId: number, delta: 1 | -1): TransactItem[] {
    if (certificateId <= 0) return [];
    return [
      {
        Update: {
          TableName: this.table.name,
          Key: certificateKey(certificateId),
          UpdateExpression: "ADD host_count :delta",
          ConditionExpression: delta > 0 ? "attribute_exists(pk)" : undefined,
          ExpressionAttributeValues: { ":delta": delta },
        },
      },
    ];
  }
}

/** A claim younger than this may belong to a write still in progress. */
const STALE_CLAIM_GRACE_MS = 10 * 60 * 1000;

type HostItem = ProxyHost & Record<string, unknown>;

function hostKey(id: number) {
  return { pk: `PROXYHOST#${id}`, sk: "PROXYHOST" };
}

function claimKey(domain: string) {
  return { pk: `DOMAIN#${domain}`, sk: "CLAIM" };
}

/** The gsi1 partition that lists proxy hosts. */
const HOST_LIST = "PROXYHOSTS";

function toItem(host: ProxyHost): Item {
  return {
    ...hostKey(host.id),
    gsi1pk: HOST_LIST,
    gsi1sk: `PROXYHOST#${sortableId(host.id)}`,
    ...(host.certificate_id > 0
      ? { gsi2pk: `CERTHOSTS#${host.certificate_id}`, gsi2sk: `PROXYHOST#${sortableId(host.id)}` }
      : {}),
    ...host,
  };
}

function fromItem(item: HostItem): ProxyHost {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g1s, gsi2pk: _g2, gsi2sk: _g2s, ...host } = item;
  // Hosts stored before `forward_path` existed have none: they forward to the request's own path.
  const older = host as Omit<ProxyHost, "forward_path" | "locations"> & {
    forward_path?: string;
    locations: (Omit<ProxyLocation, "forward_path"> & { forward_path?: string })[];
  };
  return {
    ...older,
    forward_path: older.forward_path ?? "",
    locations: older.locations.map((location) => ({ ...location, forward_path: location.forward_path ?? "" })),
  };
}

