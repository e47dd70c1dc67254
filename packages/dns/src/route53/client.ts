import { STATUS_CODES } from "node:http";
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type HostedZone,
} from "@aws-sdk/client-route-53";
import { redactSecrets } from "@charon/core";
import { DnsProviderError, reasonForStatus, type DnsProviderFailure } from "../errors.js";
import { normaliseName } from "../names.js";
import { seconds, type ClientSettings } from "../options.js";
import { RetryableFailure, withRetries } from "../retry.js";
import {
  AUTH_ERROR_CODES,
  FORBIDDEN_ERROR_CODES,
  RETRYABLE_ERROR_CODES,
  decodeName,
  type Route53TxtSet,
} from "./types.js";

export interface Route53Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** What the SDK reports when an error answer carried no usable code or message. */
const UNINFORMATIVE = new Set(["", "Unknown", "UnknownError", "Error", "Route53ServiceException", "ServiceException"]);

/** Route 53 through the AWS SDK, with our own retries (the SDK's are turned off) and errors. */
export class Route53Api {
  private readonly client: Route53Client;
  private readonly secrets: string[];

  constructor(
    credentials: Route53Credentials,
    endpoint: string | undefined,
    private readonly settings: ClientSettings,
  ) {
    this.secrets = [credentials.secretAccessKey, credentials.accessKeyId];
    this.client = new Route53Client({
      region: credentials.region,
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
      ...(endpoint ? { endpoint } : {}),
      maxAttempts: 1,
    });
  }

  /** Public hosted zones, every page. */
  async listHostedZones(): Promise<HostedZone[]> {
    const zones: HostedZone[] = [];
    let marker: string | undefined;
    for (;;) {
      const command = new ListHostedZonesCommand({ Marker: marker, MaxItems: 100 });
      const page = await this.send("ListHostedZones", (c, o) => c.send(command, o));
      if (!Array.isArray(page.HostedZones)) throw this.unexpected("ListHostedZones", "no HostedZones");
      zones.push(...page.HostedZones);
      if (!page.IsTruncated) break;
      if (!page.NextMarker) throw this.unexpected("ListHostedZones", "truncated without NextMarker");
      marker = page.NextMarker;
    }
    return zones.filter((zone) => !zone.Config?.PrivateZone);
  }

  async getHostedZone(id: string): Promise<HostedZone> {
    const command = new GetHostedZoneCommand({ Id: id });
    const answer = await this.send("GetHostedZone", (c, o) => c.send(command, o));
    if (!answer.HostedZone) throw this.unexpected("GetHostedZone", "no HostedZone");
    return answer.HostedZone;
  }

  /** The (simple-routing) TXT record set at `fqdn`, if there is one. */
  async getTxtSet(zoneId: string, fqdn: string): Promise<Route53TxtSet | undefined> {
    const command = new ListResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      StartRecordName: `${fqdn}.`,
      StartRecordType: "TXT",
      MaxItems: 10,
    });
    const answer = await this.send("ListResourceRecordSets", (c, o) => c.send(command, o));
    if (!Array.isArray(answer.ResourceRecordSets)) {
      throw this.unexpected("ListResourceRecordSets", "no ResourceRecordSets");
    }
    const set = answer.ResourceRecordSets.find(
      (s) => s.Type === "TXT" && !s.SetIdentifier && normaliseName(decodeName(s.Name ?? "")) === fqdn,
    );
    if (!set) return undefined;
    return {
      name: fqdn,
      ttl: set.TTL ?? 300,
      values: (set.ResourceRecords ?? []).map((r) => r.Value ?? "").filter((v) => v !== ""),
    };
  }

  /**
   * Writes (UPSERT) or deletes the whole set; returns the change id (`/change/C…`). Route 53
   * applies it to its name servers within about a minute: `changeStatus` says when it has,
   * so a caller waits with a delayed message, not a sleeping process.
   */
  async change(zoneId: string, action: "UPSERT" | "DELETE", set: Route53TxtSet): Promise<string> {
    const command = new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Comment: "Charon DNS-01 challenge",
        Changes: [
          {
            Action: action,
            ResourceRecordSet: {
              Name: `${set.name}.`,
              Type: "TXT",
              TTL: set.ttl,
              ResourceRecords: set.values.map((value) => ({ Value: value })),
            },
          },
        ],
      },
    });
    const answer = await this.send("ChangeResourceRecordSets", (c, o) => c.send(command, o));
    if (!answer.ChangeInfo?.Id) throw this.unexpected("ChangeResourceRecordSets", "no ChangeInfo");
    return answer.ChangeInfo.Id;
  }

  /** `GetChange`: `PENDING` or `INSYNC` (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetChange.html). */
  async changeStatus(changeId: string): Promise<string> {
    const command = new GetChangeCommand({ Id: changeId });
    const answer = await this.send("GetChange", (c, o) => c.send(command, o));
    if (!answer.ChangeInfo?.Status) throw this.unexpected("GetChange", "no ChangeInfo");
    return answer.ChangeInfo.Status;
  }

  /** One SDK call with our retries; each attempt is aborted after `timeoutMs`. */
  private send<T>(
    operation: string,
    call: (client: Route53Client, options: { abortSignal: AbortSignal }) => Promise<T>,
  ): Promise<T> {
    return withRetries(this.settings, async () => {
      try {
        return await call(this.client, { abortSignal: AbortSignal.timeout(this.settings.timeoutMs) });
      } catch (error) {
        throw this.translate(operation, error);
      }
    });
  }

  private translate(operation: string, error: unknown): DnsProviderError | RetryableFailure {
    const e = (error ?? {}) as {
      name?: string;
      message?: string;
      code?: string;
      $metadata?: { httpStatusCode?: number };
    };
    const name = e.name ?? "Error";
    const status = e.$metadata?.httpStatusCode;
    const rawMessage = redactSecrets(e.message ?? "", this.secrets).trim();

    if (name === "AbortError" || name === "TimeoutError" || e.code === "ETIMEDOUT" || name === "RequestTimeout") {
      return new RetryableFailure(
        this.failure(
          "timeout",
          `Route 53 API did not answer within ${seconds(this.settings.timeoutMs)} (${operation})`,
          error,
        ),
      );
    }
    if (status === undefined) {
      const code = e.code ?? name;
      return new RetryableFailure(
        this.failure("network", `Route 53 API could not be reached (${operation}): ${code}`, error),
      );
    }
    const unreadable =
      name === "SyntaxError" || /deserialization error|not well-formed|invalid xml|unexpected end/i.test(rawMessage);
    const retryable = status === 429 || status >= 500 || RETRYABLE_ERROR_CODES.has(name);
    if (unreadable && !retryable) {
      const message = `Route 53 API returned an unreadable response to ${operation} (HTTP ${status})`;
      return this.failure("bad_response", message, error, status);
    }
    // An error page that is not Route 53's XML (a load balancer's HTML) has no code or message.
    const upstream =
      (!unreadable && !UNINFORMATIVE.has(rawMessage) ? rawMessage : undefined) ??
      (!unreadable && !UNINFORMATIVE.has(name) ? name : undefined) ??
      STATUS_CODES[status] ??
      "error";
    let reason: DnsProviderFailure = reasonForStatus(status);
    if (AUTH_ERROR_CODES.has(name)) reason = "auth";
    else if (FORBIDDEN_ERROR_CODES.has(name)) reason = "forbidden";
    else if (RETRYABLE_ERROR_CODES.has(name) && status < 500) reason = "rate_limited";
    const failure = this.failure(reason, `Route 53 API returned ${status}: ${upstream}`, error, status, upstream);
    return retryable ? new RetryableFailure(failure) : failure;
  }

  private failure(
    reason: DnsProviderFailure,
    message: string,
    cause: unknown,
    status?: number,
    upstream?: string,
  ): DnsProviderError {
    // The SDK's error is kept as the cause: it carries request metadata, never the secret key.
    return new DnsProviderError({
      provider: "route53",
      reason,
      message,
      upstreamStatus: status,
      upstreamMessage: upstream,
      cause,
    });
  }

  private unexpected(operation: string, detail: string): DnsProviderError {
    return new DnsProviderError({
      provider: "route53",
      reason: "bad_response",
      message: `Route 53 API returned an unexpected response to ${operation}: ${detail}`,
    });
  }
}

/** `/hostedzone/Z123` → `Z123`. */
export function zoneIdOf(zone: HostedZone): string {
  return (zone.Id ?? "").replace(/^\/hostedzone\//, "");
}
