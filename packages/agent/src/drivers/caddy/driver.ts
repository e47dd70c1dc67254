import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { chooseCertificate } from "../../certificates.js";
import { isolateFaults, type Trial } from "../../isolate.js";
import type { Snapshot, SnapshotHost } from "../../snapshot.js";
import type { ApplyResult, HostReport, ProxyDriver } from "../driver.js";
import { CaddyRenderError, renderConfig, renderHost, type CaddyConfigOptions, type CaddyListen, type HostFragment } from "./render.js";
import { OneAtATime } from "../one-at-a-time.js";

const run = promisify(execFile);

export interface CaddyDriverOptions extends CaddyListen {
  /** The agent's own directory: certificates, the last good document, what each host is served as. */
  confDir: string;
  /** Caddy's admin API, `host:port` on loopback (Caddy's default `localhost:2019`). */
  adminAddress: string;
  /** The caddy program (`caddy`, or a path), for `caddy validate` when a load is refused or not answered. */
  caddyBin: string;
  /** How long a load may take (ms); default 60 s. */
  loadTimeoutMs?: number;
}

/** A host's fragment and the files it needs (certificate and key, by absolute path). */
interface Unit {
  fragment: HostFragment;
  files: Map<string, string>;
}

/** The outcome of one `POST /load`: taken, refused with Caddy's error, or no answer. */
type Load = { ok: true } | { ok: false; refused: boolean; message: string };

const CONFIG_MODE = 0o644;
const SECRET_MODE = 0o600;

/**
 * The Caddy driver: renders every host into one JSON document and loads it through Caddy's admin
 * API (`POST /load`, which swaps configurations only when the new one provisions). When Caddy
 * refuses it, `caddy validate` (provisions without serving: no side effect) finds the hosts at
 * fault by halving; they keep their last good version and are reported with Caddy's error, and the
 * rest is loaded. The last document Caddy took is kept on disk (`caddy.json`) and loaded again when
 * Caddy refuses the final one; while Caddy does not answer, the tested document is kept there for
 * its next start. Caddy validates the whole document, so one trial covers every host (decision 0023).
 */
export class CaddyDriver implements ProxyDriver {
  private readonly confDir: string;
  /** The fragment each host is served with (in `caddy.json`), by host id. */
  private live = new Map<number, HostFragment>();
  /** CrowdSec's bans in `caddy.json` (addresses and CIDRs). */
  private denyList: string[] = [];
  private loaded = false;
  /** The last load found Caddy not answering: the next one, even unchanged, counts as a reload (Caddy came back empty). */
  private down = false;
  /** Applies run one at a time: a snapshot's and a deny list's load the same document. */
  private readonly applies = new OneAtATime();

  constructor(private readonly options: CaddyDriverOptions) {
    this.confDir = resolve(options.confDir);
  }

  /** The last document Caddy took, or the tested one while it does not answer: `caddy run --config <this>` starts with it. */
  get configFile(): string {
    return join(this.confDir, "caddy.json");
  }

  private get stateFile(): string {
    return join(this.confDir, "hosts.json");
  }

  private get configOptions(): CaddyConfigOptions {
    return { ...this.options, storageDir: join(this.confDir, "data") };
  }

  /**
   * Brings Caddy to `snapshot`'s proxy hosts. Never throws for a host's fault or a Caddy that is
   * down: a host that does not render or that Caddy refuses is reported failed and keeps its last
   * good version; a Caddy that does not answer is the result's `proxy_error`, and what passed
   * `caddy validate` is kept in `caddy.json` for Caddy's next start.
   */
  apply(snapshot: Snapshot): Promise<ApplyResult> {
    return this.applies.run(() => this.applySnapshot(snapshot));
  }

  /**
   * Makes every host refuse (403) requests from these addresses and CIDRs (CrowdSec's bans): the
   * document with a `remote_ip` route first in each server. `applied` false: Caddy refused it, and
   * the last good list stays in force; `applied` with an `error`: Caddy did not answer, the list is
   * in the document it starts with.
   */
  applyDenyList(list: string[]): Promise<{ applied: boolean; error: string | null }> {
    return this.applies.run(async () => {
      await this.load();
      if (JSON.stringify(list) === JSON.stringify(this.denyList)) return { applied: true, error: null };
      let document: string;
      try {
        document = this.document(this.live, list);
      } catch (error) {
        if (error instanceof CaddyRenderError) return { applied: false, error: error.message };
        throw error;
      }
      const outcome = await this.post(document);
      if (!outcome.ok && outcome.refused) return { applied: false, error: outcome.message };
      // Taken, or Caddy not answering: the list is in the document Caddy starts with (caddy.json).
      this.denyList = [...list];
      await this.persist();
      return { applied: true, error: outcome.ok ? null : `Caddy's admin API did not answer: ${outcome.message}` };
    });
  }

  private async applySnapshot(snapshot: Snapshot): Promise<ApplyResult> {
    await this.load();
    const reports = new Map<number, HostReport>();
    const desired = new Map<number, Unit | null>();
    for (const host of snapshot.proxy_hosts) {
      if (!host.enabled) {
        desired.set(host.id, null);
        reports.set(host.id, report(host.id, "disabled", null, null));
        continue;
      }
      const outcome = this.render(host, snapshot);
      if ("error" in outcome) {
        reports.set(host.id, report(host.id, "failed", outcome.error, null));
        continue;
      }
      desired.set(host.id, outcome.unit);
      reports.set(host.id, report(host.id, "applied", null, outcome.note));
    }
    // Hosts gone from the snapshot stop being served.
    for (const id of this.live.keys()) if (!snapshot.proxy_hosts.some((h) => h.id === id)) desired.set(id, null);
    const changed = [...desired.keys()].filter((id) => !sameFragment(desired.get(id)?.fragment, this.live.get(id)));
    for (const id of changed) await writeFiles(desired.get(id)?.files ?? new Map());

    const withChanges = (ids: readonly number[]): Map<number, HostFragment> => {
      const fragments = new Map(this.live);
      for (const id of ids) {
        const unit = desired.get(id);
        if (unit) fragments.set(id, unit.fragment);
        else fragments.delete(id);
      }
      return fragments;
    };
    let trials = 0;
    const trial = async (ids: readonly number[]): Promise<Trial> => {
      trials += 1;
      return this.validate(withChanges(ids));
    };

    // Every apply loads the whole document: Caddy keeps an identical one without a restart, and a
    // Caddy restarted without its last configuration gets it back.
    let accepted = changed;
    let proxyError: string | null = null;
    let outcome = await this.post(this.document(withChanges(changed)));
    const down = !outcome.ok && !outcome.refused;
    let tested = true;
    if (!outcome.ok && changed.length > 0) {
      // Refused: find the hosts at fault. Not answering: test the document all the same, so that the
      // one kept for Caddy's next start (caddy.json) is one it takes.
      const all = await trial(changed);
      const baseline = all.ok ? all : await trial([]);
      if (!all.ok && baseline.ok) {
        const result = await isolateFaults(changed, trial, all.message);
        accepted = result.accepted;
        for (const { unit: id, message } of result.rejected) fail(reports, id, message);
        if (!down) outcome = await this.post(this.document(withChanges(accepted)));
      }
      // Otherwise not one host's fault: Caddy refuses what it validates (a port taken), or the
      // shared part fails; every changed host keeps its last good version, with the error.
      tested = baseline.ok;
    }
    if (!outcome.ok && !outcome.refused) {
      // As with nginx not running: what passed the test is the configuration Caddy starts with
      // (`caddy run --config caddy.json`), and the error says Caddy did not take it yet.
      proxyError = `Caddy's admin API did not answer: ${outcome.message}`;
      if (!tested) {
        for (const id of accepted) fail(reports, id, proxyError);
        accepted = [];
      }
      this.live = withChanges(accepted);
      await this.persist();
    } else if (!outcome.ok) {
      proxyError = outcome.message;
      for (const id of accepted) fail(reports, id, proxyError);
      accepted = [];
      // Caddy keeps its running configuration when a load fails; the last good document is loaded
      // again in case Caddy restarted since (its answer changes nothing in the report).
      const lastGood = await readFile(this.configFile, "utf8").catch(() => null);
      if (lastGood !== null) await this.post(lastGood);
    } else {
      this.live = withChanges(accepted);
      await this.persist();
    }

    for (const r of reports.values()) {
      const fragment = this.live.get(r.id);
      r.serving = r.status === "applied" ? "desired" : fragment ? "previous" : "none";
      r.tls = Boolean(fragment?.https);
    }
    const reloaded = (changed.length > 0 || this.down) && outcome.ok;
    this.down = down;
    return { hosts: [...reports.values()], reloaded, proxy_error: proxyError, trials };
  }

  /** Reads what each host was served as by an earlier run (a restarted agent's last applied state). */
  private async load(): Promise<void> {
    if (this.loaded) return;
    const text = await readFile(this.stateFile, "utf8").catch(() => null);
    if (text !== null) {
      const saved = JSON.parse(text) as { hosts: Record<string, HostFragment>; deny?: string[] };
      this.live = new Map(Object.entries(saved.hosts).map(([id, fragment]) => [Number(id), fragment]));
      this.denyList = saved.deny ?? [];
    }
    this.loaded = true;
  }

  private render(host: SnapshotHost, snapshot: Snapshot): { unit: Unit; note: string | null } | { error: string } {
    const choice = chooseCertificate(host, snapshot.certificates);
    const files = new Map<string, string>();
    let tls = null;
    if (choice.certificate) {
      // Named by content: a renewed certificate is a new file pair, so a trial never overwrites
      // the files Caddy serves, and a changed document makes Caddy load it.
      const { id, fullchain_pem, private_key_pem } = choice.certificate;
      const digest = createHash("sha256").update(fullchain_pem).update("\0").update(private_key_pem).digest("hex").slice(0, 16);
      const directory = join(this.confDir, "certs", `${id}-${digest}`);
      tls = { certificateFile: join(directory, "fullchain.pem"), keyFile: join(directory, "privkey.pem"), tag: `charon-certificate-${id}-${digest}` };
      files.set(tls.certificateFile, fullchain_pem);
      files.set(tls.keyFile, private_key_pem);
    }
    try {
      const { fragment, notes } = renderHost(host, tls, this.options);
      const note = [choice.note, ...notes].filter((n) => n !== null).join("; ");
      return { unit: { fragment, files }, note: note === "" ? null : note };
    } catch (error) {
      if (error instanceof CaddyRenderError) return { error: error.message };
      throw error;
    }
  }

  private document(fragments: Map<number, HostFragment>, denyList = this.denyList): string {
    const ordered = [...fragments.entries()].sort(([a], [b]) => a - b).map(([, fragment]) => fragment);
    return `${JSON.stringify(renderConfig(this.configOptions, ordered, denyList), null, 1)}\n`;
  }

  /** `POST /load` of `document`; Caddy answers once the new servers serve. */
  private async post(document: string): Promise<Load> {
    let response: Response;
    try {
      response = await fetch(`http://${this.options.adminAddress}/load`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: document,
        signal: AbortSignal.timeout(this.options.loadTimeoutMs ?? 60_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { ok: false, refused: false, message: `${this.options.adminAddress}: ${cause ?? (error as Error).message}` };
    }
    const text = await response.text();
    if (response.ok) return { ok: true };
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // Not Caddy's JSON error: its text as it is.
    }
    return { ok: false, refused: true, message: caddyError(message) };
  }

  /** `caddy validate` of the document with `fragments`: provisions every module, serves nothing. */
  private async validate(fragments: Map<number, HostFragment>): Promise<Trial> {
    const file = join(this.confDir, "trial.json");
    await writeAtomically(file, this.document(fragments), CONFIG_MODE);
    try {
      await run(this.options.caddyBin, ["validate", "--config", file], { timeout: 120_000 });
      return { ok: true };
    } catch (error) {
      const failure = error as { code?: string | number; stderr?: string; message?: string };
      if (failure.code === "ENOENT") return { ok: false, message: "caddy is not installed (apt-get install caddy, or give --caddy-bin)" };
      const line = (failure.stderr ?? "").split("\n").find((l) => l.startsWith("Error: "));
      return { ok: false, message: caddyError(line?.slice("Error: ".length) ?? failure.message ?? String(error)) };
    }
  }

  /** Keeps what Caddy took: the document (to restore, or start Caddy with) and the hosts' fragments; drops unused certificates. */
  private async persist(): Promise<void> {
    await writeAtomically(this.configFile, this.document(this.live), CONFIG_MODE);
    await writeAtomically(this.stateFile, `${JSON.stringify({ hosts: Object.fromEntries(this.live), deny: this.denyList })}\n`, CONFIG_MODE);
    const used = new Set([...this.live.values()].flatMap((f) => (f.https ? [dirname(f.https.tls.certificateFile)] : [])));
    const certs = join(this.confDir, "certs");
    for (const name of await readdir(certs).catch(() => [] as string[])) {
      if (!used.has(join(certs, name))) await rm(join(certs, name), { recursive: true, force: true });
    }
  }
}

function report(id: number, status: HostReport["status"], error: string | null, note: string | null): HostReport {
  return { id, status, error, serving: "none", tls: false, waf_mode: null, note };
}

function fail(reports: Map<number, HostReport>, id: number, message: string): void {
  const entry = reports.get(id);
  // A host deleted from the snapshot has no report; it stays served until Caddy takes the change.
  if (entry) Object.assign(entry, { status: "failed", error: message });
}

function sameFragment(a: HostFragment | undefined, b: HostFragment | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

async function writeFiles(files: Map<string, string>): Promise<void> {
  for (const [path, content] of files) await writeAtomically(path, content, SECRET_MODE);
}

/** Write then rename: Caddy (or a crash) never sees half a file. */
async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode });
  await rename(temporary, path);
}

/**
 * Caddy's error without the chain of modules that led to it: `loading config: loading new config:
 * loading http app module: provision http: … provision http.matchers.path_regexp: compiling
 * matcher regexp ^/(?<=x): error parsing regexp: …` → from the last `provision` on.
 */
function caddyError(message: string): string {
  const text = message.trim().replace(/^(loading config: )?(loading new config: )?/, "");
  const last = text.lastIndexOf("provision ");
  return last > 0 ? text.slice(last) : text;
}
