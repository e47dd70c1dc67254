import { createHash } from "node:crypto";
import type acme from "acme-client";
import { SecretAlreadyExistsError, type SecretStore } from "@charon/core";
import { loadAcmeClient } from "./acme-client.js";

/** Where certificates come from: an ACME directory, the account's contact and EAB (RFC 8555 §7.3.4). */
export interface AcmeSettings {
  directoryUrl: string;
  /** `CHARON_ACME_EMAIL`: the account's contact (`mailto:`), optional for Let's Encrypt. */
  email: string | undefined;
  /** `CHARON_ACME_EAB_KID` / `CHARON_ACME_EAB_HMAC_KEY`, for CAs that require external account binding. */
  externalAccountBinding?: { kid: string; hmacKey: string };
}

/** Let's Encrypt's directories (acme-client's `directory.letsencrypt`, written out so that reading settings loads no client). */
const NAMED_DIRECTORIES: Record<string, string> = {
  letsencrypt: "https://acme-v02.api.letsencrypt.org/directory",
  "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
};

/**
 * Reads `CHARON_ACME_DIRECTORY_URL` (a URL, or `letsencrypt` / `letsencrypt-staging`; default
 * Let's Encrypt production), `CHARON_ACME_EMAIL` and the EAB pair (both or neither).
 */
export function readAcmeSettings(env: NodeJS.ProcessEnv = process.env): AcmeSettings {
  const configured = env.CHARON_ACME_DIRECTORY_URL?.trim() || "letsencrypt";
  const directoryUrl = NAMED_DIRECTORIES[configured] ?? configured;
  if (!/^https:\/\//.test(directoryUrl)) {
    throw new Error(
      "CHARON_ACME_DIRECTORY_URL must be an https:// URL, letsencrypt or letsencrypt-staging",
    );
  }
  const kid = env.CHARON_ACME_EAB_KID?.trim();
  const hmacKey = env.CHARON_ACME_EAB_HMAC_KEY?.trim();
  if (Boolean(kid) !== Boolean(hmacKey)) {
    throw new Error(
      "CHARON_ACME_EAB_KID and CHARON_ACME_EAB_HMAC_KEY are set together or not at all " +
        "(deployed on AWS, the HMAC key is the SST secret AcmeEabHmacKey: npx sst secret set AcmeEabHmacKey <key> --stage <stage>)",
    );
  }
  return {
    directoryUrl,
    email: env.CHARON_ACME_EMAIL?.trim() || undefined,
    ...(kid && hmacKey ? { externalAccountBinding: { kid, hmacKey } } : {}),
  };
}

/** Logical SecretStore prefix of ACME account keys (not swept as orphans: no credential points at them). */
export const ACME_ACCOUNT_SECRET_PREFIX = "acme-accounts/";

/**
 * The ACME account of (directory, email): its key lives in the SecretStore, made once, and the
 * account is registered (or found again: RFC 8555 §7.3.1 answers 200 for a known key) once per
 * process. Concurrent first uses race on `create`; the loser reads the winner's key.
 */
export class AcmeAccounts {
  private client: Promise<acme.Client> | undefined;

  constructor(
    private readonly secrets: SecretStore,
    readonly settings: AcmeSettings,
  ) {}

  /** The registered client, made on first use. */
  registered(): Promise<acme.Client> {
    this.client ??= this.register().catch((error: unknown) => {
      this.client = undefined;
      throw error;
    });
    return this.client;
  }

  /** The directory object (RFC 8555 §7.1.1), e.g. `meta.profiles`. */
  async directory(): Promise<{ meta?: { profiles?: Record<string, string> }; renewalInfo?: string }> {
    const response = await fetch(this.settings.directoryUrl, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`The ACME directory ${this.settings.directoryUrl} answered ${response.status}`);
    return (await response.json()) as { meta?: { profiles?: Record<string, string> }; renewalInfo?: string };
  }

  private async register(): Promise<acme.Client> {
    const { directoryUrl, email, externalAccountBinding } = this.settings;
    const acme = await loadAcmeClient();
    const client = new acme.Client({
      directoryUrl,
      accountKey: await this.accountKey(),
      ...(externalAccountBinding ? { externalAccountBinding } : {}),
    });
    try {
      // The key's account, as registered before (another process, an earlier start): RFC 8555 §7.3.1.
      await client.createAccount({ onlyReturnExisting: true });
    } catch {
      // None yet (`accountDoesNotExist`): register it. A concurrent registration of the same key
      // is answered with the same account.
      await client.createAccount({ termsOfServiceAgreed: true, ...(email ? { contact: [`mailto:${email}`] } : {}) });
    }
    return client;
  }

  private async accountKey(): Promise<string> {
    const { directoryUrl, email } = this.settings;
    const digest = createHash("sha256").update(`${directoryUrl}\n${email ?? ""}`).digest("hex").slice(0, 32);
    const name = `${ACME_ACCOUNT_SECRET_PREFIX}${digest}`;
    const stored = await this.secrets.get(name);
    if (stored?.["private_key"]) return stored["private_key"];
    const key = (await (await loadAcmeClient()).crypto.createPrivateEcdsaKey("P-256")).toString();
    try {
      await this.secrets.create(name, { private_key: key, directory_url: directoryUrl, email: email ?? "" });
      return key;
    } catch (error) {
      if (!(error instanceof SecretAlreadyExistsError)) throw error;
      const winner = await this.secrets.get(name);
      if (!winner?.["private_key"]) throw error;
      return winner["private_key"];
    }
  }
}
