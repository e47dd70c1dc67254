import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ensurePrivateDirectory, tightenFiles } from "./private-directory.js";
import { answersHttp, freePort, startProcess, type RunningService } from "./process.js";

const MISSING_JAVA =
  "DynamoDB Local needs Java 17 or newer, and `java` was not found. " +
  "Install it (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) and try again.";

/** Where npm installed AWS's DynamoDB Local jar (shipped inside amplify-dynamodb-simulator). */
function emulatorDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("amplify-dynamodb-simulator/package.json")), "emulator");
}

/**
 * Starts AWS's DynamoDB Local on a free loopback port: in memory for tests, or persisted under
 * `dataDirectory` for `npm start`. The database holds token hashes and the audit log: its
 * directory is 0700 and its files 0600 whatever the umask (Java creates them with the umask
 * it inherits, so the process starts with 077), and earlier, looser ones are tightened.
 */
export async function startDynamoDbLocal(options: { dataDirectory?: string; port?: number } = {}): Promise<RunningService> {
  const port = options.port ?? (await freePort());
  const directory = emulatorDirectory();
  const storage = options.dataDirectory
    ? ["-dbPath", options.dataDirectory, "-sharedDb"]
    : ["-inMemory"];
  if (options.dataDirectory) {
    await ensurePrivateDirectory(options.dataDirectory);
    await tightenFiles(options.dataDirectory);
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const { stop } = await startProcess({
    name: "DynamoDB Local",
    command: "java",
    args: [
      "-Xmx512m",
      `-Djava.library.path=${join(directory, "DynamoDBLocal_lib")}`,
      "-jar",
      join(directory, "DynamoDBLocal.jar"),
      "-port",
      String(port),
      ...storage,
    ],
    cwd: directory,
    umask: 0o077,
    missingMessage: MISSING_JAVA,
    ready: () => answersHttp(endpoint),
  });
  return { endpoint, port, stop };
}
