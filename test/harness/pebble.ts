import { request } from "node:https";
import { access, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startProcess, type RunningService } from "@charon/local";
import { capture, environmentDirectory, withLock } from "./moto.js";

/**
 * Pinned: v2.10.3 serves ACME Renewal Information and profiles (Debian's 2.4.0 has neither), which
 * issuance (`meta.profile`) and renewals (issue 10) need. Bump deliberately: the next run builds the
 * new version beside the old one.
 */
export const PEBBLE_VERSION = "v2.10.3";
const PEBBLE_MODULE = "github.com/letsencrypt/pebble/v2";

const MISSING_GO =
  "The test harness builds Pebble (Let's Encrypt's test CA) from source and needs Go 1.21 or newer on the PATH " +
  "(it fetches the Go 1.25 toolchain Pebble asks for by itself): https://go.dev/doc/install. Install it and try again.";

const installDirectory = join(environmentDirectory, `pebble-${PEBBLE_VERSION}`);
const installed = {
  binary: join(installDirectory, "bin", "pebble"),
  /** Pebble's own TLS certificate for `localhost`/`127.0.0.1`, its key and the CA that signed it. */
  certificate: join(installDirectory, "localhost-cert.pem"),
  privateKey: join(installDirectory, "localhost-key.pem"),
  tlsRoot: join(installDirectory, "pebble.minica.pem"),
};

/**
 * Profiles as Let's Encrypt names them, with its lifetimes (seconds). Pebble picks one at random
 * for an order that names none.
 */
const PROFILES = {
  classic: { description: "90 days, like Let's Encrypt's classic profile", validityPeriod: 7_776_000 },
  tlsserver: { description: "90 days, TLS server authentication only", validityPeriod: 7_776_000 },
  shortlived: { description: "160 hours", validityPeriod: 576_000 },
};

export interface RunningPebble extends RunningService {
  /** The ACME directory, `https://127.0.0.1:<port>/dir`. */
  directoryUrl: string;
  /** The management API (`/roots/0` is the root every issued chain verifies to). */
  managementUrl: string;
  /** The CA file that makes Pebble's own HTTPS trusted: give it to Node as `NODE_EXTRA_CA_CERTS`. */
  tlsRootFile: string;
}

/**
 * Starts Pebble on free loopback ports, validating DNS-01 challenges against `dnsServer`
 * (`host:port`, PowerDNS in the tests), building the pinned version first if needed.
 * Validation is immediate (`PEBBLE_VA_NOSLEEP`) unless `validationSleepSeconds` is given: then Pebble's
 * VA waits a uniformly random whole number of seconds below it before each validation
 * (`PEBBLE_VA_SLEEPTIME`; Pebble's own default is 5), as a real CA takes seconds to validate from
 * its vantage points. Every nonce is accepted. `authorizationReuse`
 * (a percentage, as `PEBBLE_AUTHZREUSE`) says how often a new order gets a valid authorization the
 * account holds (for an hour) instead of a pending one: at 100 always, as Let's Encrypt does for
 * 7 hours; at the default 0 still one time in 100 (wfe.go reuses unless `rand.Intn(100) > percent`),
 * so a test whose order must prove control again deactivates what the account holds first.
 */
export async function startPebble(options: { dnsServer: string; authorizationReuse?: number; validationSleepSeconds?: number }): Promise<RunningPebble> {
  await ensurePebbleInstalled();
  const directory = await mkdtemp(join(tmpdir(), "charon-pebble-"));
  try {
    const [port, managementPort] = await Promise.all([freePort(), freePort()]);
    const config = join(directory, "pebble-config.json");
    await writeFile(
      config,
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${port}`,
          managementListenAddress: `127.0.0.1:${managementPort}`,
          certificate: installed.certificate,
          privateKey: installed.privateKey,
          // Only used by http-01 and tls-alpn-01 validation, which nothing here asks for.
          httpPort: 5002,
          tlsPort: 5001,
          ocspResponderURL: "",
          externalAccountBindingRequired: false,
          retryAfter: { authz: 1, order: 1 },
          keyAlgorithm: "ecdsa",
          profiles: PROFILES,
        },
      }),
    );
    const tlsRoot = await readFile(installed.tlsRoot);
    const directoryUrl = `https://127.0.0.1:${port}/dir`;
    const managementUrl = `https://127.0.0.1:${managementPort}`;
    const { stop } = await startProcess({
      name: "Pebble",
      command: installed.binary,
      args: ["-config", config, "-dnsserver", options.dnsServer],
      cwd: directory,
      env: {
        ...process.env,
        ...(options.validationSleepSeconds === undefined
          ? { PEBBLE_VA_NOSLEEP: "1" }
          : { PEBBLE_VA_NOSLEEP: "0", PEBBLE_VA_SLEEPTIME: String(options.validationSleepSeconds) }),
        PEBBLE_WFE_NONCEREJECT: "0",
        PEBBLE_AUTHZREUSE: String(options.authorizationReuse ?? 0),
      },
      missingMessage: `${installed.binary} is missing; delete ${installDirectory} and run the tests again.`,
      ready: () => answersHttps(directoryUrl, tlsRoot),
      timeoutMs: 30_000,
    });
    return {
      endpoint: directoryUrl,
      port,
      directoryUrl,
      managementUrl,
      tlsRootFile: installed.tlsRoot,
      stop: async () => {
        await stop();
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

/** True when `url` answers over HTTPS signed by `ca` (this process does not trust Pebble's CA). */
function answersHttps(url: string, ca: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request(url, { ca, timeout: 1000 }, (response) => {
      response.resume();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
    probe.once("timeout", () => probe.destroy());
    probe.end();
  });
}

const exists = (path: string) => access(path).then(() => true, () => false);

async function isInstalled(): Promise<boolean> {
  const present = await Promise.all(Object.values(installed).map(exists));
  return present.every(Boolean);
}

/**
 * `go install`s the pinned Pebble into `.test-env/pebble-<version>/bin` and copies its test TLS
 * certificate beside it, once (under a lock, as moto's install): later runs find it and start at once.
 */
async function ensurePebbleInstalled(): Promise<void> {
  if (await isInstalled()) return;
  await mkdir(environmentDirectory, { recursive: true });
  await withLock(join(environmentDirectory, "pebble.lock"), async () => {
    if (await isInstalled()) return;
    const version = await capture("go", ["version"]);
    if (version.code !== 0) throw new Error(MISSING_GO);
    // Outside any Go module (the repository has none), so `go` resolves the pinned version itself.
    const goEnv = { ...process.env, GOBIN: join(installDirectory, "bin"), GOFLAGS: "-buildvcs=false" };
    const build = await capture("go", ["install", `${PEBBLE_MODULE}/cmd/pebble@${PEBBLE_VERSION}`], { cwd: tmpdir(), env: goEnv });
    if (build.code !== 0) throw new Error(`building Pebble ${PEBBLE_VERSION} failed:\n${build.output.trim()}`);
    // `go install` left the module's sources in the module cache, test certificates included.
    const cache = await capture("go", ["env", "GOMODCACHE"], { env: goEnv });
    if (cache.code !== 0) throw new Error(`locating Pebble's sources failed:\n${cache.output.trim()}`);
    const source = join(cache.output.trim(), `${PEBBLE_MODULE}@${PEBBLE_VERSION}`);
    await copyFile(join(source, "test/certs/localhost/cert.pem"), installed.certificate);
    await copyFile(join(source, "test/certs/localhost/key.pem"), installed.privateKey);
    await copyFile(join(source, "test/certs/pebble.minica.pem"), installed.tlsRoot);
  });
  if (!(await isInstalled())) throw new Error(`Pebble ${PEBBLE_VERSION} is still not installed in ${installDirectory}`);
}
