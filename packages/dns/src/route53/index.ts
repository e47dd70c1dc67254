import type { DnsProviderClient, DnsProviderType, DnsZone } from "@charon/core";
import { KeyedLock, checkTxtValue, nameInZone, normaliseName, quoteTxt, unquoteTxt } from "../names.js";
import { resolveSettings, type DnsClientOptions } from "../options.js";
import type * as Route53ClientModule from "./client.js";
import type { Route53Api } from "./client.js";

// The Route 53 SDK client is a sizeable part of the API's Lambda bundle and most requests never
// use it: it is loaded when a Route 53 credential is first used, not when the app starts.
let clientModule: Promise<typeof Route53ClientModule> | undefined;
const loadClient = () => (clientModule ??= import("./client.js"));

export const route53Provider: DnsProviderType = {
  type: "route53",
  label: "Route 53",
  docsUrl: "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/access-control-managing-permissions.html",
  credentialSets: [["access_key_id", "secret_access_key"]],
  fields: [
    {
      name: "access_key_id",
      envName: "AWS_ACCESS_KEY_ID",
      secret: true,
      required: true,
      description:
        "Access key id of an IAM user allowed route53:ListHostedZones, route53:ListResourceRecordSets, " +
        "route53:ChangeResourceRecordSets and route53:GetChange (and route53:GetHostedZone when hosted_zone_id is set)",
    },
    {
      name: "secret_access_key",
      envName: "AWS_SECRET_ACCESS_KEY",
      secret: true,
      required: true,
      description: "The access key's secret",
    },
    {
      name: "region",
      envName: "AWS_REGION",
      secret: false,
      required: false,
      description: "Region used to sign requests (Route 53 is global; default us-east-1)",
    },
    {
      name: "hosted_zone_id",
      envName: "AWS_HOSTED_ZONE_ID",
      secret: false,
      required: false,
      description: "Restrict the credential to this hosted zone (for IAM policies scoped to one zone)",
    },
  ],
};

/**
 * Route 53: a name's TXT values form one record set, so adding or removing a value reads the set
 * and UPSERTs it whole (DELETE with its last value), then waits for the change to be INSYNC.
 */
export function createRoute53Client(
  credentials: Record<string, string>,
  options: DnsClientOptions = {},
): DnsProviderClient {
  let api: Promise<Route53Api> | undefined;
  const route53 = () =>
    (api ??= loadClient().then(
      ({ Route53Api }) =>
        new Route53Api(
          {
            accessKeyId: credentials["access_key_id"] ?? "",
            secretAccessKey: credentials["secret_access_key"] ?? "",
            region: credentials["region"] ?? "us-east-1",
          },
          options.endpoints?.route53,
          resolveSettings(options),
        ),
    ));
  const onlyZone = credentials["hosted_zone_id"]?.replace(/^\/hostedzone\//, "");
  const lock = new KeyedLock();

  const listZones = async (): Promise<DnsZone[]> => {
    const [client, { zoneIdOf }] = await Promise.all([route53(), loadClient()]);
    const zones = onlyZone ? [await client.getHostedZone(onlyZone)] : await client.listHostedZones();
    return zones.map((zone) => ({ id: zoneIdOf(zone), name: normaliseName(zone.Name ?? "") }));
  };

  return {
    listZones,

    async addTxtRecord(zone, fqdn, value, ttlSeconds) {
      const name = nameInZone(zone, fqdn);
      checkTxtValue(value);
      return lock.run(`${zone.id} ${name}`, async () => {
        const client = await route53();
        const values = (await client.getTxtSet(zone.id, name))?.values ?? [];
        if (values.some((v) => unquoteTxt(v) === value)) return;
        const changeId = await client.change(zone.id, "UPSERT", {
          name,
          ttl: Math.max(1, Math.round(ttlSeconds)),
          values: [...values, quoteTxt(value)],
        });
        return { changeId: changeId.replace(/^\/change\//, "") };
      });
    },

    async removeTxtRecord(zone, fqdn, value) {
      const name = nameInZone(zone, fqdn);
      return lock.run(`${zone.id} ${name}`, async () => {
        const client = await route53();
        const set = await client.getTxtSet(zone.id, name);
        if (!set) return;
        const remaining = set.values.filter((v) => unquoteTxt(v) !== value);
        if (remaining.length === set.values.length) return;
        if (remaining.length === 0) await client.change(zone.id, "DELETE", set);
        else await client.change(zone.id, "UPSERT", { ...set, values: remaining });
      });
    },

    async changeStatus(changeId) {
      const status = await (await route53()).changeStatus(changeId);
      return status === "INSYNC" ? "in_sync" : "pending";
    },

    async verify() {
      const zones = await listZones();
      return {
        testPerformed: onlyZone ? "get_hosted_zone" : "zone_list",
        accessibleZones: zones.map((z) => z.name).sort(),
      };
    },
  };
}
