import type { SecretConstructor } from "./platform.js";

/**
 * The certificate authority of a deployment, taken from the shell that runs `sst deploy`:
 * `CHARON_ACME_DIRECTORY_URL` (a URL, `letsencrypt` or `letsencrypt-staging`; unset: Let's Encrypt
 * production) and `CHARON_ACME_EMAIL` (the account's contact). Passed to the functions that open or
 * advance orders (API, worker), which read them with `readAcmeSettings` (@charon/acme).
 * With them the issuance limits, when set (`issuanceLimitsFrom` of @charon/runtime):
 * `CHARON_ACME_NEW_ORDER_LIMIT`, `CHARON_ACME_NEW_ORDER_REFILL_SECONDS` (another CA's budget) and
 * `CHARON_DNS_PROVIDER_CONCURRENCY`. EAB is not passed here: see `acmeEab`.
 */
export function caEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const names = [
    "CHARON_ACME_DIRECTORY_URL",
    "CHARON_ACME_EMAIL",
    "CHARON_ACME_NEW_ORDER_LIMIT",
    "CHARON_ACME_NEW_ORDER_REFILL_SECONDS",
    "CHARON_DNS_PROVIDER_CONCURRENCY",
  ] as const;
  return Object.fromEntries(names.flatMap((name) => (env[name]?.trim() ? [[name, env[name]!.trim()]] : [])));
}

/** The SST secret holding the EAB HMAC key; `@charon/runtime` reads it by this name (ACME_EAB_HMAC_KEY_SECRET). */
export const ACME_EAB_HMAC_KEY_SECRET = "AcmeEabHmacKey";

/** What the worker gets for external account binding: the key id, and the secret linked to it. */
export interface AcmeEab {
  environment: { CHARON_ACME_EAB_KID: string };
  link: unknown[];
}

/**
 * External account binding (RFC 8555 §7.3.4), for CAs that require it, when the deploying shell
 * has `CHARON_ACME_EAB_KID`; Let's Encrypt needs none (undefined). The key id is an identifier
 * and goes into the worker's environment. The HMAC key is a secret, and a Lambda's environment is
 * readable by anyone allowed `lambda:GetFunctionConfiguration`: it is the SST secret
 * `AcmeEabHmacKey`, set once with `npx sst secret set AcmeEabHmacKey <key> --stage <stage>`
 * (a deploy with the key id and no secret set fails, naming it) and linked to the worker only,
 * the one function that registers the ACME account. SST encrypts linked values into the
 * function's bundle; the SST SDK decrypts them at start (packages/runtime/src/linked.ts).
 */
export function acmeEab(Secret: SecretConstructor, env: NodeJS.ProcessEnv): AcmeEab | undefined {
  const kid = env.CHARON_ACME_EAB_KID?.trim();
  if (!kid) return undefined;
  return { environment: { CHARON_ACME_EAB_KID: kid }, link: [new Secret(ACME_EAB_HMAC_KEY_SECRET)] };
}
