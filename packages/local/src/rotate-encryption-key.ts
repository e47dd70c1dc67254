/**
 * `npm run rotate-encryption-key`: re-seals every secret of the local store under the current
 * key (CHARON_ENCRYPTION_KEY, or the key file), reading old records with the previous keys
 * (CHARON_ENCRYPTION_KEY_PREVIOUS, encryption-key.previous). Run it with the server stopped.
 */
import { resolve } from "node:path";
import { LocalSecretStore } from "./secret-store/index.js";

const dataDirectory = resolve(process.env.CHARON_DATA_DIR ?? ".charon");
try {
  const resealed = await LocalSecretStore.fromEnvironment(dataDirectory).rotate();
  process.stdout.write(`Re-sealed ${resealed} secret(s) in ${dataDirectory} under the current key.\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
