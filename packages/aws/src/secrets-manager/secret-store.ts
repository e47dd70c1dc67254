import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  SecretAlreadyExistsError,
  systemClock,
  type Clock,
  type SecretStore,
  type SecretValue,
  type StoredSecretInfo,
} from "@charon/core";
import { MalformedSecretError, SecretsManagerError, wrapSdkError } from "./errors.js";
import { TtlCache } from "./ttl-cache.js";

export interface SecretsManagerSecretStoreOptions {
  /** Put before every logical name, e.g. "charon/prod/"; keeps stages apart in one account. */
  prefix: string;
  /** How long a read value is reused without asking Secrets Manager; 0 disables. Default 30 s. */
  cacheTtlMs?: number;
  clock?: Clock;
}

/**
 * SecretStore on AWS Secrets Manager: one secret per logical name, at `<prefix><name>`, holding
 * the value as a JSON SecretString. The endpoint comes from the injected client, which reads the
 * SDK's standard AWS_ENDPOINT_URL_SECRETS_MANAGER (moto in tests).
 */
export class SecretsManagerSecretStore implements SecretStore {
  private readonly prefix: string;
  private readonly cache: TtlCache<string>;

  constructor(
    private readonly client: SecretsManagerClient,
    options: SecretsManagerSecretStoreOptions,
  ) {
    this.prefix = options.prefix;
    this.cache = new TtlCache(options.cacheTtlMs ?? 30_000, options.clock ?? systemClock);
  }

  async create(name: string, value: SecretValue): Promise<void> {
    try {
      // The SDK fills ClientRequestToken, so its own retry of a create that did land is answered
      // as success instead of ResourceExistsException.
      await this.client.send(
        new CreateSecretCommand({ Name: this.prefix + name, SecretString: JSON.stringify(value) }),
      );
    } catch (error) {
      if (error instanceof ResourceExistsException) throw new SecretAlreadyExistsError(name, { cause: error });
      throw wrapSdkError("CreateSecret", name, error, value);
    }
  }

  async get(name: string): Promise<SecretValue | undefined> {
    // The cache holds the JSON text, so every caller gets its own object to mutate.
    const cached = this.cache.get(name);
    if (cached !== undefined) return parseValue(name, cached);
    let secretString: string | undefined;
    try {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.prefix + name }));
      secretString = result.SecretString;
    } catch (error) {
      // Misses are not cached: a name read before it is created must be seen once it exists.
      if (error instanceof ResourceNotFoundException) return undefined;
      throw wrapSdkError("GetSecretValue", name, error);
    }
    if (secretString === undefined) throw new MalformedSecretError(name, "it has no SecretString");
    const value = parseValue(name, secretString);
    this.cache.set(name, secretString);
    return value;
  }

  async delete(name: string): Promise<void> {
    this.cache.delete(name);
    try {
      // Without recovery: the name is never reused, and a recovery window would keep a deleted
      // credential readable (and billed) for up to 30 days.
      await this.client.send(
        new DeleteSecretCommand({ SecretId: this.prefix + name, ForceDeleteWithoutRecovery: true }),
      );
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return;
      throw wrapSdkError("DeleteSecret", name, error);
    }
  }

  async *list(prefix: string): AsyncIterable<StoredSecretInfo> {
    const full = this.prefix + prefix;
    let nextToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListSecretsCommand({
            // The service rejects an empty filter value; no prefix at all means every secret.
            Filters: full === "" ? undefined : [{ Key: "name", Values: [full] }],
            MaxResults: 100,
            NextToken: nextToken,
          }),
        );
      } catch (error) {
        throw wrapSdkError("ListSecrets", undefined, error);
      }
      for (const entry of page.SecretList ?? []) {
        // The service's name filter is a prefix match, but checking again keeps a looser
        // emulator (or a future filter change) from handing out another prefix's secrets.
        if (entry.Name === undefined || !entry.Name.startsWith(full)) continue;
        if (entry.CreatedDate === undefined) {
          throw new SecretsManagerError("ListSecrets", entry.Name, "the entry has no CreatedDate");
        }
        yield { name: entry.Name.slice(this.prefix.length), createdAt: entry.CreatedDate };
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
}

function parseValue(name: string, secretString: string): SecretValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    // The parser's message quotes the text it choked on, which is the secret.
    throw new MalformedSecretError(name, "it is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new MalformedSecretError(name, "it is not an object");
  }
  for (const field of Object.values(parsed)) {
    if (typeof field !== "string") throw new MalformedSecretError(name, "a field is not a string");
  }
  return parsed as SecretValue;
}
