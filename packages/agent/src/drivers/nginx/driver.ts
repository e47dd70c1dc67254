import { execFile } from "node:child_process";
import { request } from "node:http";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { chooseCertificate } from "../../certificates.js";
import { isolateFaults, type Trial } from "../../isolate.js";
import type { Snapshot, SnapshotHost } from "../../snapshot.js";
import type { ApplyResult, HostReport, ProxyDriver } from "../driver.js";
import {
  BLOCK_EXPLOITS_SNIPPET,
  PROXY_SNIPPET,
  GENERATION_PATH,
  RenderError,
  TREE,
  renderHost,
  renderGeneration,
  renderDenyMap,
  renderMainConfig,
  renderWafRules,
  type MainConfigOptions,
} from "./render.js";
import { OneAtATime } from "../one-at-a-time.js";

const run = promisify(execFile);

export type { ApplyResult, HostReport } from "../driver.js";

export interface NginxDriverOptions extends MainConfigOptions {
  /** The agent's own directory: `live/` (what nginx runs, `nginx -c <confDir>/live/nginx.conf`) and `staged/`. */
  confDir: string;
  /** The nginx program (`nginx`, or a path). */
  nginxBin: string;
  /** The command that makes the running nginx load `live/` (argv); default `nginx -s reload -c live/nginx.conf`. */
  reloadCommand?: string[];
  /** How long a reload may take to be served (ms); default 30 s. */
  reloadTimeoutMs?: number;
}

interface FileSpec {
  content: string;
  mode: number;
}
/** A host's files in a tree, by path relative to `nginx.conf`; empty for a host not served. */
type Unit = Map<string, FileSpec>;

const CONFIG_MODE = 0o644;
const SECRET_MODE = 0o600;

/**
 * The nginx driver: renders each host into its own file (and its certificate's), tests the staged
 * tree with `nginx -t`, leaves out the hosts that break it (each keeps its last good version), and
 * reloads nginx once. Keeps the live tree on disk: a restarted agent knows what nginx serves.
 */
export class NginxDriver implements ProxyDriver {
  private readonly live: string;
  private readonly staged: string;
  /** What the live and staged trees hold per host id (their files). */
  private liveUnits = new Map<number, Unit>();
  private stagedUnits = new Map<number, Unit>();
  private liveShared: Unit = new Map();
  private stagedShared: Unit = new Map();
  private loaded = false;
  private reloads = 0;
  /** The last reload failed (nginx down): the next apply reloads even without a change, for an nginx that came back. */
  private reloadOwed = false;
  /** The deny map's text (CrowdSec bans) the next apply writes: the live one's, then each accepted list's. */
  private denyMap = renderDenyMap([]);
  /** Applies run one at a time: a snapshot's and a deny list's share the staged tree. */
  private readonly applies = new OneAtATime();

  constructor(private readonly options: NginxDriverOptions) {
    this.live = join(options.confDir, "live");
    this.staged = join(options.confDir, "staged");
  }

  /** The main file nginx runs with (`nginx -c`). */
  get mainConfigFile(): string {
    return join(this.live, "nginx.conf");
  }

  /**
   * Brings nginx to `snapshot`'s proxy hosts. Never throws for a host's fault: a host that does not
   * render or that `nginx -t` refuses is reported failed and keeps its last good version.
   */
  apply(snapshot: Snapshot): Promise<ApplyResult> {
    return this.applies.run(() => this.applySnapshot(snapshot));
  }

  /**
   * Makes every host refuse (403) the addresses and CIDRs in `list` (`denyList` of CrowdSec's
   * bans): rewrites the deny map alone, tests it with `nginx -t`, reloads once. A map nginx
   * refuses leaves the last good one in force (`applied` false, nginx's `error`); a reload that
   * fails leaves the map written (`applied`, the reload's `error`). Before the first snapshot is
   * applied the list is kept for it.
   */
  applyDenyList(list: string[]): Promise<{ applied: boolean; error: string | null }> {
    return this.applies.run(async () => {
      if (!this.options.crowdsec) return { applied: false, error: "the nginx driver was not started as a CrowdSec bouncer" };
      await this.load();
      let text: string;
      try {
        text = renderDenyMap(list);
      } catch (error) {
        if (error instanceof RenderError) return { applied: false, error: error.message };
        throw error;
      }
      const previous = this.denyMap;
      if (text === previous) return { applied: true, error: null };
      this.denyMap = text;
      if (!this.liveShared.has("nginx.conf")) return { applied: true, error: null };
      const shared: Unit = new Map(this.liveShared);
      shared.set(TREE.denyMap, { content: text, mode: CONFIG_MODE });
      await this.stageShared(shared);
      const tested = await this.test();
      if (!tested.ok) {
        this.denyMap = previous;
        await this.stageShared(this.liveShared);
        return { applied: false, error: tested.message };
      }
      await writeUnit(this.live, this.liveShared, shared);
      this.liveShared = shared;
      const error = await this.reload();
      this.reloadOwed = error !== null;
      return { applied: true, error };
    });
  }

  private async applySnapshot(snapshot: Snapshot): Promise<ApplyResult> {
    await this.load();
    const reports = new Map<number, HostReport>();
    const desired = new Map<number, Unit>();
    for (const host of snapshot.proxy_hosts) {
      const outcome = this.render(host, snapshot);
      if ("error" in outcome) {
        reports.set(host.id, this.report(host.id, "failed", outcome.error, null));
        continue;
      }
      desired.set(host.id, outcome.unit);
      reports.set(host.id, this.report(host.id, host.enabled ? "applied" : "disabled", null, outcome.note));
    }
    // Hosts gone from the snapshot stop being served.
    for (const id of this.liveUnits.keys()) {
      if (!snapshot.proxy_hosts.some((h) => h.id === id)) desired.set(id, new Map());
    }
    const changed = [...desired.keys()].filter((id) => !sameUnit(desired.get(id), this.liveUnits.get(id)));
    const wafInUse = [...desired.values(), ...this.liveUnits.values()].some(usesWaf);
    const shared = this.sharedFiles(wafInUse);

    let trials = 0;
    const trial = async (ids: readonly number[]): Promise<Trial> => {
      trials += 1;
      const chosen = new Set(ids);
      for (const id of new Set([...changed, ...this.stagedUnits.keys()])) {
        await this.stage(id, chosen.has(id) ? (desired.get(id) ?? new Map()) : (this.liveUnits.get(id) ?? new Map()));
      }
      return this.test();
    };

    let accepted: number[] = [];
    let proxyError: string | null = null;
    if (changed.length > 0 || !sameUnit(shared, this.liveShared)) {
      await this.stageShared(shared);
      const all = await trial(changed);
      if (all.ok) {
        accepted = changed;
      } else {
        const baseline = await trial([]);
        if (!baseline.ok) {
          // Not one host's fault: the shared configuration (or nginx itself) fails. Nothing changes.
          proxyError = baseline.message;
          for (const id of changed) this.fail(reports, id, baseline.message);
        } else {
          const result = await isolateFaults(changed, trial, all.message);
          accepted = result.accepted;
          for (const { unit: id, message } of result.rejected) this.fail(reports, id, message);
        }
      }
      // The staged tree returns to what the live tree will hold.
      for (const id of changed) await this.stage(id, accepted.includes(id) ? (desired.get(id) ?? new Map()) : (this.liveUnits.get(id) ?? new Map()));
    }

    const sharedChanged = proxyError === null && !sameUnit(shared, this.liveShared);
    if (sharedChanged) {
      await writeUnit(this.live, this.liveShared, shared);
      this.liveShared = shared;
    }
    for (const id of accepted) {
      const unit = desired.get(id) ?? new Map();
      await writeUnit(this.live, this.liveUnits.get(id) ?? new Map(), unit);
      if (unit.size === 0) this.liveUnits.delete(id);
      else this.liveUnits.set(id, unit);
    }
    let reloaded = false;
    if (accepted.length > 0 || sharedChanged || (this.reloadOwed && proxyError === null)) {
      reloaded = true;
      const reloadError = await this.reload();
      this.reloadOwed = reloadError !== null;
      if (reloadError !== null) proxyError = reloadError;
    }
    for (const report of reports.values()) {
      const unit = this.liveUnits.get(report.id);
      report.serving = report.status === "applied" ? "desired" : unit ? "previous" : "none";
      report.tls = unit !== undefined && [...unit.keys()].some((path) => path.endsWith(".pem"));
      report.waf_mode = unit ? wafModeOf(unit) : null;
    }
    return { hosts: [...reports.values()], reloaded, proxy_error: proxyError, trials };
  }

  /** Reads the live tree (a restarted agent's last applied state) and mirrors it into staged/. */
  private async load(): Promise<void> {
    if (this.loaded) return;
    this.liveUnits = await readUnits(this.live);
    this.liveShared = await readShared(this.live);
    this.denyMap = this.liveShared.get(TREE.denyMap)?.content ?? this.denyMap;
    await rm(this.staged, { recursive: true, force: true });
    this.stagedUnits = new Map();
    this.stagedShared = new Map();
    for (const [id, unit] of this.liveUnits) await this.stage(id, unit);
    // nginx -t needs the file the default server includes; only the live one's answer matters.
    await writeAtomically(join(this.staged, TREE.generation), renderGeneration("staged"), CONFIG_MODE);
    const liveGeneration = join(this.live, TREE.generation);
    if ((await readFile(liveGeneration, "utf8").catch(() => null)) === null) {
      await writeAtomically(liveGeneration, renderGeneration("0"), CONFIG_MODE);
    }
    this.loaded = true;
  }

  private render(host: SnapshotHost, snapshot: Snapshot): { unit: Unit; note: string | null } | { error: string } {
    if (!host.enabled) return { unit: new Map(), note: null };
    if (host.waf_enabled && !this.options.waf) {
      return { error: "WAF unavailable: nginx's ModSecurity module or the Core Rule Set is not installed (libnginx-mod-http-modsecurity, modsecurity-crs)" };
    }
    const choice = chooseCertificate(host, snapshot.certificates);
    const tls = choice.certificate ? { certificateFile: TREE.certificateFile(host.id), keyFile: TREE.keyFile(host.id) } : null;
    try {
      const unit: Unit = new Map([[TREE.hostFile(host.id), { content: renderHost(host, tls, this.options), mode: CONFIG_MODE }]]);
      if (choice.certificate && tls) {
        unit.set(tls.certificateFile, { content: choice.certificate.fullchain_pem, mode: SECRET_MODE });
        unit.set(tls.keyFile, { content: choice.certificate.private_key_pem, mode: SECRET_MODE });
      }
      return { unit, note: choice.note };
    } catch (error) {
      if (error instanceof RenderError) return { error: error.message };
      throw error;
    }
  }

  private report(id: number, status: HostReport["status"], error: string | null, note: string | null): HostReport {
    return { id, status, error, serving: "none", tls: false, waf_mode: null, note };
  }

  private fail(reports: Map<number, HostReport>, id: number, message: string): void {
    const report = reports.get(id);
    // A host deleted from the snapshot has no report; its files simply stay until they can go.
    if (report) Object.assign(report, { status: "failed", error: message });
  }

  private sharedFiles(wafInUse: boolean): Unit {
    const files: Unit = new Map([
      ["nginx.conf", { content: renderMainConfig(this.options, this.staged, wafInUse), mode: CONFIG_MODE }],
      [TREE.proxySnippet, { content: PROXY_SNIPPET, mode: CONFIG_MODE }],
      [TREE.blockExploitsSnippet, { content: BLOCK_EXPLOITS_SNIPPET, mode: CONFIG_MODE }],
    ]);
    if (wafInUse && this.options.waf) {
      files.set(TREE.wafRules, { content: renderWafRules(this.options.waf, this.options.runDir), mode: CONFIG_MODE });
    }
    if (this.options.crowdsec) files.set(TREE.denyMap, { content: this.denyMap, mode: CONFIG_MODE });
    return files;
  }

  private async stageShared(shared: Unit): Promise<void> {
    await writeUnit(this.staged, this.stagedShared, shared);
    this.stagedShared = shared;
  }

  private async stage(id: number, unit: Unit): Promise<void> {
    const current = this.stagedUnits.get(id) ?? new Map();
    if (sameUnit(current, unit)) return;
    await writeUnit(this.staged, current, unit);
    if (unit.size === 0) this.stagedUnits.delete(id);
    else this.stagedUnits.set(id, unit);
  }

  /** `nginx -t` on the staged tree; a failure is nginx's error lines, paths relative to the tree. */
  private async test(): Promise<Trial> {
    await this.ensureRunDir();
    try {
      await run(this.options.nginxBin, ["-t", "-q", "-c", join(this.staged, "nginx.conf")], { timeout: 120_000 });
      return { ok: true };
    } catch (error) {
      return { ok: false, message: nginxError(error, this.staged) };
    }
  }

  /**
   * Signals nginx to load the live tree, then waits until the new generation answers: the signal
   * returns before nginx has read anything, and a reload nginx itself abandons (a port it cannot
   * bind) is reported only in its error log.
   */
  private async reload(): Promise<string | null> {
    await this.ensureRunDir();
    this.reloads += 1;
    const generation = `${process.pid}-${Date.now()}-${this.reloads}`;
    await writeAtomically(join(this.live, TREE.generation), renderGeneration(generation), CONFIG_MODE);
    const [command, ...args] = this.options.reloadCommand ?? [this.options.nginxBin, "-s", "reload", "-c", this.mainConfigFile];
    const oldWorkers = await this.acceptingWorkers();
    try {
      await run(command as string, args, { timeout: 120_000 });
    } catch (error) {
      return `reload failed: ${nginxError(error, this.live)}`;
    }
    const timeoutMs = this.options.reloadTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (let delay = 10; Date.now() < deadline; delay = Math.min(delay * 2, 200)) {
      // New workers answer with the new generation; the old ones may still accept connections
      // for a moment, until they take the master's signal to stop.
      if ((await this.servedGeneration()) === generation) {
        const accepting = await this.acceptingWorkers();
        if (![...oldWorkers].some((pid) => accepting.has(pid))) return null;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    return `nginx did not serve the new configuration within ${timeoutMs / 1000} s (see ${join(this.options.runDir, "error.log")})`;
  }

  /**
   * The worker processes that still accept connections: children of the master (its pid file)
   * titled "worker process" and not "is shutting down" (nginx retitles a worker as it closes its
   * listening sockets). Empty where /proc does not tell (then the generation alone is awaited).
   */
  private async acceptingWorkers(): Promise<Set<number>> {
    const master = (await readFile(join(this.options.runDir, "nginx.pid"), "utf8").catch(() => "")).trim();
    if (!/^\d+$/.test(master)) return new Set();
    const children = await readFile(`/proc/${master}/task/${master}/children`, "utf8").catch(() => "");
    const accepting = new Set<number>();
    for (const pid of children.split(/\s+/).filter((p) => p !== "")) {
      const title = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
      if (title.includes("worker process") && !title.includes("shutting down")) accepting.add(Number(pid));
    }
    return accepting;
  }

  /** The generation the running nginx answers with, or null when it does not answer. */
  private servedGeneration(): Promise<string | null> {
    const address = this.options.listenAddress === "" || this.options.listenAddress === "0.0.0.0" ? "127.0.0.1" : this.options.listenAddress;
    return new Promise((resolve) => {
      const req = request({ host: address === "::" ? "::1" : address, port: this.options.httpPort, path: GENERATION_PATH, agent: false, timeout: 2000 }, (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve(response.statusCode === 200 ? body : null));
      });
      req.on("error", () => resolve(null));
      req.on("timeout", () => req.destroy());
      req.end();
    });
  }

  private async ensureRunDir(): Promise<void> {
    await mkdir(join(this.options.runDir, "tmp"), { recursive: true });
  }
}

/** Takes a tree's files from `current` to `next`, writing only what differs. */
async function writeUnit(tree: string, current: Unit, next: Unit): Promise<void> {
  for (const path of current.keys()) {
    if (!next.has(path)) await rm(join(tree, path), { force: true });
  }
  for (const [path, file] of next) {
    const before = current.get(path);
    if (before && before.content === file.content && before.mode === file.mode) continue;
    await writeAtomically(join(tree, path), treeSpecific(file.content, tree), file.mode);
  }
}

/** Write then rename: nginx (or a crash) never sees half a file. */
async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode });
  await rename(temporary, path);
}

/** Rendered text names the staged tree where it needs an absolute path; the live tree names itself. */
function treeSpecific(content: string, tree: string): string {
  if (tree.endsWith("/staged")) return content;
  return content.replaceAll(`${dirname(tree)}/staged/`, `${tree}/`);
}

async function readUnits(tree: string): Promise<Map<number, Unit>> {
  const units = new Map<number, Unit>();
  const hostFiles = await readdir(join(tree, "hosts")).catch(() => [] as string[]);
  for (const name of hostFiles) {
    const match = /^(\d+)\.conf$/.exec(name);
    if (!match) continue;
    const id = Number(match[1]);
    const unit: Unit = new Map();
    const hostPath = TREE.hostFile(id);
    unit.set(hostPath, { content: await readFile(join(tree, hostPath), "utf8"), mode: CONFIG_MODE });
    for (const path of [TREE.certificateFile(id), TREE.keyFile(id)]) {
      const content = await readFile(join(tree, path), "utf8").catch(() => null);
      if (content !== null) unit.set(path, { content, mode: SECRET_MODE });
    }
    units.set(id, unit);
  }
  return units;
}

async function readShared(tree: string): Promise<Unit> {
  const shared: Unit = new Map();
  for (const path of ["nginx.conf", TREE.proxySnippet, TREE.blockExploitsSnippet, TREE.wafRules, TREE.denyMap]) {
    const content = await readFile(join(tree, path), "utf8").catch(() => null);
    // Stored as rendered (naming the staged tree), so that an unchanged render compares equal.
    if (content !== null) shared.set(path, { content: content.replaceAll(`${tree}/`, `${dirname(tree)}/staged/`), mode: CONFIG_MODE });
  }
  return shared;
}

function sameUnit(a: Unit | undefined, b: Unit | undefined): boolean {
  const left = a ?? new Map<string, FileSpec>();
  const right = b ?? new Map<string, FileSpec>();
  if (left.size !== right.size) return false;
  for (const [path, file] of left) {
    const other = right.get(path);
    if (!other || other.content !== file.content || other.mode !== file.mode) return false;
  }
  return true;
}

function usesWaf(unit: Unit): boolean {
  return wafModeOf(unit) !== null;
}

/** The WAF mode a host file puts in effect (the renderer's `modsecurity` lines). */
function wafModeOf(unit: Unit): "block" | "monitor" | null {
  const conf = [...unit].find(([path]) => path.startsWith("hosts/"))?.[1].content ?? "";
  if (!/^\s*modsecurity on;$/m.test(conf)) return null;
  return /^\s*modsecurity_rules 'SecRuleEngine On';$/m.test(conf) ? "block" : "monitor";
}

/** nginx's error lines without timestamps, process ids or the tree's own path. */
function nginxError(error: unknown, tree: string): string {
  const failure = error as { stderr?: string; message?: string; code?: string | number };
  if (failure.code === "ENOENT") return "nginx is not installed (apt-get install nginx-light, or give --nginx-bin)";
  const text = (failure.stderr ?? "").trim() || (failure.message ?? String(error));
  const lines = text
    .split("\n")
    .map((line) =>
      line
        .replace(/^nginx: /, "")
        .replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: /, "$1 ")
        .replaceAll(`${tree}/`, "")
        .trim(),
    )
    .filter((line) => line !== "" && !/configuration file .* test failed$/.test(line));
  const serious = lines.filter((line) => /^\[(emerg|alert|crit|error)\]/.test(line));
  return (serious.length > 0 ? serious : lines).join("; ") || "nginx -t failed without a message";
}
