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
  "The test harness runs moto (a local AWS emulator) from a Python virtual environment, and needs " +
  "`python3` with its `venv` module. Install them (Debian/Ubuntu: `apt-get install python3 python3-venv`; " +
  "macOS: `brew install python`) and try again.";

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Where the harness keeps what it installs once per machine (moto, Pebble). */
export const environmentDirectory = join(repositoryRoot, ".test-env");
const venv = join(environmentDirectory, "moto-venv");
const venvBin = join(venv, process.platform === "win32" ? "Scripts" : "bin");

/** Starts moto's server on a free loopback port, installing the pinned moto first if needed. */
export async function startMoto(): Promise<RunningService> {
  await ensureMotoInstalled();
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

/**
 * Creates `.test-env/moto-venv` and installs the pinned moto into it, once: later runs find the
 * version already there and skip pip entirely. A lock file keeps two concurrent runs (several
 * people share a tree) from building the same environment at once.
 */
async function ensureMotoInstalled(): Promise<void> {
  if ((await installedMotoVersion()) === MOTO_VERSION) return;
  await mkdir(environmentDirectory, { recursive: true });
  await withLock(join(environmentDirectory, "moto-venv.lock"), async () => {
    // Another run may have finished the install while this one waited for the lock.
    if ((await installedMotoVersion()) === MOTO_VERSION) return;
    await checkPython();
    if ((await installedMotoVersion()) === undefined) {
      // --clear: a half-built environment from an interrupted run is rebuilt, not patched.
      await run("python3", ["-m", "venv", "--clear", venv], "creating the moto virtual environment");
    }
    await run(
      join(venvBin, "python"),
      ["-m", "pip", "install", "--disable-pip-version-check", "--quiet", `moto[server]==${MOTO_VERSION}`],
      `installing moto[server]==${MOTO_VERSION}`,
    );
  });
  const installed = await installedMotoVersion();
  if (installed !== MOTO_VERSION) {
    throw new Error(`moto ${MOTO_VERSION} is still not installed in ${venv} (found ${installed ?? "none"})`);
  }
}

/** The moto version in the virtual environment; undefined when the environment or moto is missing. */
async function installedMotoVersion(): Promise<string | undefined> {
  const result = await capture(join(venvBin, "python"), [
    "-c",
    "import importlib.metadata as m\ntry:\n print(m.version('moto'))\nexcept m.PackageNotFoundError:\n print('')",
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
  if (result.code !== 0) throw new Error(`moto setup failed ${what}:\n${result.output.trim()}`);
}

/** Runs a short command to completion; a missing program reads as a failure (code -1). */
export function capture(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
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
