import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The documents' placeholders for where Charon runs and for the token. */
const DOCUMENT_HOSTS = ["http://charon:81", "https://your-charon-instance"];
const DOCUMENT_TOKEN = "YOUR_API_TOKEN";

export interface CurlAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- documented bodies; callers check them
  body: any;
  /** The command as run, after the host, token and id substitutions. */
  script: string;
}

/**
 * Runs a document's curl example as a shell would, with `$TOKEN` set. Only the host, the token
 * and the ids a server allocated change (api-conventions.md). curl's own configuration file, in a
 * private HOME, adds what a test needs to read the answer (quiet, the status on the last line),
 * so the commands themselves stay exactly as the documents print them.
 */
export async function documentCurl(): Promise<
  (command: string, options: { base: string; token: string; replace?: Array<[string, string]> }) => Promise<CurlAnswer>
> {
  const home = await mkdtemp(join(tmpdir(), "charon-curl-"));
  await writeFile(join(home, ".curlrc"), 'silent\nshow-error\nwrite-out = "\\n%{http_code}"\n');
  return async (command, { base, token, replace = [] }) => {
    let script = command.replaceAll(DOCUMENT_TOKEN, token);
    for (const host of DOCUMENT_HOSTS) script = script.replaceAll(host, base);
    for (const [from, to] of replace) script = script.replaceAll(from, to);
    const { stdout } = await run("bash", ["-c", script], { env: { ...process.env, HOME: home, TOKEN: token } });
    const cut = stdout.lastIndexOf("\n");
    const text = stdout.slice(0, cut);
    const body: unknown = text === "" ? undefined : text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text;
    return { status: Number(stdout.slice(cut + 1)), body, script };
  };
}
