export {
  LocalSecretStore,
  KEY_FILE,
  PREVIOUS_KEYS_FILE,
  type LocalSecretStoreOptions,
} from "./local-secret-store.js";
export { EncryptionKeyError, SecretDecryptionError, MalformedSecretRecordError } from "./errors.js";
