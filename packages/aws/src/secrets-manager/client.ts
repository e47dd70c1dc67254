import { SecretsManagerClient, type SecretsManagerClientConfig } from "@aws-sdk/client-secrets-manager";
import { SecretsManagerSecretStore } from "./secret-store.js";

/**
 * The Secrets Manager store an entry point uses, with its own client (the endpoint comes from
 * the SDK's standard AWS_ENDPOINT_URL_SECRETS_MANAGER), so callers need no SDK import.
 */
export function createSecretsManagerStore(prefix: string, config: SecretsManagerClientConfig = {}): SecretsManagerSecretStore {
  return new SecretsManagerSecretStore(new SecretsManagerClient(config), { prefix });
}
