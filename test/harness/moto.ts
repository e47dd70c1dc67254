import { spawn } from "node:child_process";
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { answersHttp, freePort, startProcess, type RunningService } from "@charon/local";

/**
 * Pinned so every machine and CI run emulates Secrets Manager and Route 53 the same way; bump it
 * deliberately (the next run reinstalls into the same virtual environment).
 */
export const MOTO_VERSION = "5.2.5";

const MISSING_PYTHON =
  "The test harness runs moto (a local AWS emulator) and schemathesis from Python virtual environments, and needs " +
  "`python3` with its `venv` module. Install them (Debian/Ubuntu: `apt-get install python3 python3-venv`; " +
  "macOS: `brew install python`) and try again.";

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Where the harness keeps what it installs once per machine (moto, schemathesis, Pebble). */
export const environmentDirectory = join(repositoryRoot, ".test-env");
const venv = join(environmentDirectory, "moto-venv");
const venvBin = join(venv, process.platform === "win32" ? "Scripts" : "bin");

/** Starts moto's server on a free loopback port, installing the pinned moto first if needed. */
export async function startMoto(): Promise<RunningService> {
  await ensurePythonTool({ venv: "moto-venv", distribution: "moto", requirement: "moto[server]", version: MOTO_VERSION });
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const { stop } = await startProcess({
    name: "moto",
    command: join(venvBin, "moto_server"),
    args: ["-H", "127.0.0.1", "-p", String(port)],
    missingMessage: `moto_server is missing from ${venv}; delete that directory and run the tests again.`,
    ready: () => answersHttp(`${endpoint}/moto-api/`),
  });
  return { endpoint, port, stop };
}

export interface PythonTool {
  /** The virtual environment's directory name under `.test-env`. */
  venv: string;
  /** The distribution whose installed version is checked, e.g. `moto`. */
  distribution: string;
  /** What pip installs, without the version: `moto[server]`. */
  requirement: string;
  version: string;
}

/**
 * Creates `.test-env/<venv>` and installs the pinned tool into it, once: later runs find the
 * version already there and skip pip entirely. A lock file keeps two concurrent runs (several
 * people share a tree) from building the same environment at once. Returns the environment's
 * directory of executables.
 */
export async function ensurePythonTool(tool: PythonTool): Promise<string> {
  const directory = join(environmentDirectory, tool.venv);
  const bin = join(directory, process.platform === "win32" ? "Scripts" : "bin");
  const installed = () => installedVersion(bin, tool.distribution);
  const pinned = `${tool.requirement}==${tool.version}`;
  if ((await installed()) === tool.version) return bin;
  await mkdir(environmentDirectory, { recursive: true });
  await withLock(join(environmentDirectory, `${tool.venv}.lock`), async () => {
    // Another run may have finished the install while this one waited for the lock.
    if ((await installed()) === tool.version) return;
    await checkPython();
    if ((await installed()) === undefined) {
      // --clear: a half-built environment from an interrupted run is rebuilt, not patched.
      await run("python3", ["-m", "venv", "--clear", directory], `creating ${directory}`);
    }
    await run(
      join(bin, "python"),
      ["-m", "pip", "install", "--disable-pip-version-check", "--quiet", pinned],
      `installing ${pinned}`,
    );
  });
  const found = await installed();
  if (found !== tool.version) {
    throw new Error(`${tool.distribution} ${tool.version} is still not installed in ${directory} (found ${found ?? "none"})`);
  }
  return bin;
}

/** The distribution's version in the virtual environment; undefined when the environment is missing. */
async function installedVersion(bin: string, distribution: string): Promise<string | undefined> {
  const result = await capture(join(bin, "python"), [
    "-c",
    `import importlib.metadata as m\ntry:\n print(m.version(${JSON.stringify(distribution)}))\nexcept m.PackageNotFoundError:\n print('')`,
  ]);
  if (result.code !== 0) return undefined;
  return result.output.trim() || "";
}

/** One message for both "no python3" and "python3 without venv" (Debian splits them). */
async function checkPython(): Promise<void> {
  const result = await capture("python3", ["-c", "import venv, ensurepip"]);
  if (result.code !== 0) throw new Error(MISSING_PYTHON);
}

async function run(command: string, args: string[], what: string): Promise<void> {
  const result = await capture(command, args);
  if (result.code !== 0) throw new Error(`Python test tool setup failed ${what}:\n${result.output.trim()}`);
}

/**
 * Runs a command to completion; a missing program reads as a failure (code -1). The output keeps
 * its last `keep` characters (8 000 unless told).
 */
export function capture(
  command: string,
  args: string[],
  { keep = 8000, ...options }: { cwd?: string; env?: NodeJS.ProcessEnv; keep?: number } = {},
): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-keep);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.once("error", (error) => done({ code: -1, output: error.message }));
    child.once("close", (code) => done({ code: code ?? -1, output }));
  });
}

/**
 * Runs `task` holding an exclusive lock file. A lock left by a process that no longer exists is
 * taken over, so a killed run cannot wedge later ones.
 */
export async function withLock(path: string, task: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number((await readFile(path, "utf8").catch(() => "")).trim());
    if (Number.isInteger(holder) && holder > 0 && !isAlive(holder)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path} (held by process ${holder})`);
    // Waiting for another run's install (pip, go), which has no event this process could await.
    await new Promise((wake) => setTimeout(wake, delay));
  }
  try {
    await task();
  } finally {
    await rm(path, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
