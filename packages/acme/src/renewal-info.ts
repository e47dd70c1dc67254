import type { RenewalInfo, RenewalInformationSource } from "@charon/core";
import type { AcmeAccounts } from "./account.js";

/**
 * RFC 9773 §4.1's certificate identifier: base64url(the authority key identifier's keyIdentifier)
 * "." base64url(the serial number's DER integer bytes), both without padding. Undefined for a
 * certificate without an authority key identifier (then the CA cannot be asked about it).
 * `@peculiar/x509` (which acme-client loads too) is loaded here, on the first certificate stored,
 * not with issuance (`acme-client.ts`).
 */
export async function ariCertId(certificatePem: string): Promise<string | undefined> {
  const { AuthorityKeyIdentifierExtension, X509Certificate } = await import("@peculiar/x509");
  const certificate = new X509Certificate(certificatePem);
  const keyId = certificate.getExtension(AuthorityKeyIdentifierExtension)?.keyId;
  if (!keyId) return undefined;
  // `serialNumber` is the hex of the INTEGER's content octets, leading zero octet included.
  return `${Buffer.from(keyId, "hex").toString("base64url")}.${Buffer.from(certificate.serialNumber, "hex").toString("base64url")}`;
}

/** How long to wait for the CA's renewal information. */
const TIMEOUT_MS = 10_000;
/** How long the directory's `renewalInfo` URL is reused (acme-client keeps a directory for a day). */
const DIRECTORY_CACHE_MS = 3_600_000;

/**
 * ACME Renewal Information (RFC 9773 §4.2) from the account's CA: an unauthenticated GET of
 * `<directory.renewalInfo>/<certID>`. acme-client 5.4.0 has no ARI, hence this request of our own.
 * Undefined when the directory has no `renewalInfo`; an error for an answer that is not a
 * valid window (the sweep then falls back to the lifetime and asks again later).
 */
export class AcmeRenewalInformation implements RenewalInformationSource {
  /** The directory's `renewalInfo` as last read, so a sweep of many certificates reads it once. */
  private directory: { renewalInfo: string | undefined; readAt: number } | undefined;

  constructor(private readonly accounts: Pick<AcmeAccounts, "directory">) {}

  /** Whether the CA offers renewal information at all. */
  async offered(): Promise<boolean> {
    return (await this.renewalInfoUrl()) !== undefined;
  }

  async fetch(certId: string): Promise<RenewalInfo | undefined> {
    const base = await this.renewalInfoUrl();
    if (base === undefined) return undefined;
    const url = `${base.replace(/\/$/, "")}/${certId}`;
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await response.text();
    if (!response.ok) throw new Error(`The CA's renewal information (${url}) answered ${response.status}: ${text.slice(0, 200)}`);
    const body = JSON.parse(text) as { suggestedWindow?: { start?: string; end?: string }; explanationURL?: unknown };
    const start = new Date(body.suggestedWindow?.start ?? "");
    const end = new Date(body.suggestedWindow?.end ?? "");
    // RFC 9773 §4.2: a window whose end is not after its start is invalid.
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) {
      throw new Error(`The CA's renewal information (${url}) has no valid suggestedWindow`);
    }
    const retryAfter = retryAfterSeconds(response.headers.get("retry-after"));
    return {
      start,
      end,
      ...(typeof body.explanationURL === "string" ? { explanationUrl: body.explanationURL } : {}),
      ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
    };
  }

  private async renewalInfoUrl(): Promise<string | undefined> {
    if (this.directory === undefined || Date.now() - this.directory.readAt > DIRECTORY_CACHE_MS) {
      const { renewalInfo } = await this.accounts.directory();
      this.directory = { renewalInfo: typeof renewalInfo === "string" ? renewalInfo : undefined, readAt: Date.now() };
    }
    return this.directory.renewalInfo;
  }
}

/** `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP date, as seconds from now. */
export function retryAfterSeconds(header: string | null | undefined): number | undefined {
  if (header === null || header === undefined) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.round((at - Date.now()) / 1000));
}
