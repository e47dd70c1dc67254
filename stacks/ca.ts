/**
 * The certificate authority of a deployment, taken from the shell that runs `sst deploy`:
 * `CHARON_ACME_DIRECTORY_URL` (a URL, `letsencrypt` or `letsencrypt-staging`; unset: Let's Encrypt
 * production) and `CHARON_ACME_EMAIL` (the account's contact). Passed to the functions that open or
 * advance orders (API, worker), which read them with `readAcmeSettings` (@charon/acme).
 * EAB (`CHARON_ACME_EAB_KID`/`_HMAC_KEY`) is not passed: the HMAC key is a secret, and a Lambda's
 * environment is readable by anyone allowed `lambda:GetFunctionConfiguration`.
 */
export function caEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const names = ["CHARON_ACME_DIRECTORY_URL", "CHARON_ACME_EMAIL"] as const;
  return Object.fromEntries(names.flatMap((name) => (env[name]?.trim() ? [[name, env[name]!.trim()]] : [])));
}
