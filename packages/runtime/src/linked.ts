/**
 * What SST links to a deployed function (stacks/ca.ts): values SST encrypts into the function's
 * bundle, decrypted by its SDK on first access (`sst/resource`: `SST_KEY` and `SST_KEY_FILE`),
 * so that no secret sits in the function's environment. Nothing here is logged.
 */
import { Resource } from "sst/resource";

/** The SST secret holding the ACME EAB HMAC key (stacks/ca.ts's ACME_EAB_HMAC_KEY_SECRET). */
export const ACME_EAB_HMAC_KEY_SECRET = "AcmeEabHmacKey";

/** The value of the SST secret `name` linked to this function; undefined when none is linked. */
export function linkedSecret(name: string): string | undefined {
  // `in` reads the links without throwing when there are none (outside a deployed function).
  if (!(name in Resource)) return undefined;
  const value = (Resource as unknown as Record<string, { value?: unknown }>)[name]?.value;
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * `env` with `CHARON_ACME_EAB_HMAC_KEY` taken from the linked secret when the deployment gives
 * the worker `CHARON_ACME_EAB_KID` and the key only as a link; otherwise `env` as it is (an
 * environment that has both, or neither, is `readAcmeSettings`'s to judge).
 */
export function withLinkedEabKey(env: NodeJS.ProcessEnv, linked: (name: string) => string | undefined = linkedSecret): NodeJS.ProcessEnv {
  if (!env.CHARON_ACME_EAB_KID?.trim() || env.CHARON_ACME_EAB_HMAC_KEY?.trim()) return env;
  const hmacKey = linked(ACME_EAB_HMAC_KEY_SECRET);
  return hmacKey === undefined ? env : { ...env, CHARON_ACME_EAB_HMAC_KEY: hmacKey };
}
