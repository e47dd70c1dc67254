export { LocalSecretStore, type LocalSecretStoreOptions } from "./local-secret-store.js";
export { KEY_FILE, PREVIOUS_KEYS_FILE, type LocalKeyOptions } from "./keys.js";
export { EncryptionKeyError, SecretDecryptionError, MalformedSecretRecordError } from "./errors.js";
