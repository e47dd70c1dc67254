import { SecretStoreError, type SecretValue } from "@charon/core";

/** Secrets Manager refused or failed an operation; `cause` is the SDK's error. */
export class SecretsManagerError extends SecretStoreError {
  constructor(
    readonly operation: string,
    secretName: string | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const subject = secretName === undefined ? "" : ` for secret '${secretName}'`;
    super(secretName, `Secrets Manager ${operation}${subject} failed: ${detail}`, options);
  }
}

/** The stored SecretString is not what this adapter writes (edited by hand, or another tool's). */
export class MalformedSecretError extends SecretStoreError {
  constructor(secretName: string, reason: string) {
    super(secretName, `secret '${secretName}' is not a JSON object of strings: ${reason}`);
  }
}

/**
 * Wraps an SDK error at the adapter boundary. Secrets Manager does not echo secret values in its
 * errors, but a request we sent carried one, so when any of its values shows up in the SDK's
 * text we keep neither that text nor the error itself (it would reach logs as `cause`).
 */
export function wrapSdkError(
  operation: string,
  secretName: string | undefined,
  error: unknown,
  sent?: SecretValue,
): SecretsManagerError {
  const name = error instanceof Error ? error.name : "UnknownError";
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const values = Object.values(sent ?? {}).filter((value) => value.length > 0);
  if (values.some((value) => text.includes(value))) {
    const requestId = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
    const request = requestId === undefined ? "" : `, request ${requestId}`;
    return new SecretsManagerError(
      operation,
      secretName,
      `${name} (message withheld: it quoted the secret${request})`,
    );
  }
  return new SecretsManagerError(operation, secretName, text, { cause: error });
}
