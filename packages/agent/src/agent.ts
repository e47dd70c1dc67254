import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AgentKeyPair } from "./agent-key.js";
import type { AgentConfig } from "./config.js";
import type { CrowdSecStatus } from "./crowdsec/bouncer.js";
import type { ApplyResult, ProxyDriver } from "./drivers/driver.js";
import type { Snapshot } from "./snapshot.js";

export type { ProxyDriver } from "./drivers/driver.js";

/** One JSON line per event; never a token or key. */
export interface AgentLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** applied: a changed snapshot; reapplied: the same one again, for a proxy that did not take it (`proxy_error`). */
export type PollOutcome = "applied" | "reapplied" | "unchanged" | "unreachable";

/** The longest wait between polls while the API does not answer. */
const MAX_BACKOFF_SECONDS = 300;
/** A report is sent after every apply, and at least this often otherwise (a heartbeat). */
const HEARTBEAT_SECONDS = 60;
const REQUEST_TIMEOUT_MS = 30_000;
/** What one request of a report may hold (`AgentReport` in the API's document): more hosts go in more parts. */
const HOSTS_PER_PART = 500;
const PROBLEMS_PER_PART = 100;
const MAX_PARTS = 100;
/** A problem's `note` (the API's limit): the report's body-size budget counts on it. */
const NOTE_LENGTH = 100;
/** CrowdSec bans per report (the API's limit); `decisions_total` counts them all. */
const MAX_DECISIONS = 100;
/** Origins of this machine's own decisions, reported before community lists' (`CAPI`, `lists`). */
const LOCAL_ORIGINS = new Set(["crowdsec", "cscli"]);

/**
 * The agent's loop: pull the snapshot (`If-None-Match` with the last ETag, so an unchanged state
 * is a 304), apply it through the driver, keep it on disk, report. While the API is unreachable
 * the proxy keeps serving what was applied last and polls back off (doubling, up to 5 minutes);
 * a restart applies the cached snapshot before its first pull. While the last apply's proxy did
 * not take it (`proxy_error`: nginx or Caddy down), every poll applies the snapshot again, so a
 * proxy that comes back (a Caddy started without its configuration) serves without a change.
 */
export class Agent {
  /** The last apply: its snapshot (keys opened), the driver's result, and the hosts' versions (`modified_on`) it applied. */
  private applied: { snapshot: Snapshot; result: ApplyResult; versions: Map<number, string> } | null = null;
  private lastReportAt = 0;
  private failures = 0;
  private registered = false;
  private crowdsec: { status(): CrowdSecStatus } | null = null;
  /** Reports go one at a time, so that the API keeps the latest. */
  private reporting: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: AgentConfig,
    private readonly driver: ProxyDriver,
    private readonly logger: AgentLogger,
    private readonly version: string,
    private readonly key: AgentKeyPair,
  ) {}

  private get cacheFile(): string {
    return join(this.config.stateDir, "snapshot.json");
  }

  /** Applies the snapshot cached by an earlier run, if any: the proxy serves before the API answers. */
  async restoreCached(): Promise<boolean> {
    const text = await readFile(this.cacheFile, "utf8").catch(() => null);
    if (text === null) return false;
    let snapshot: Snapshot;
    try {
      snapshot = JSON.parse(text) as Snapshot;
    } catch {
      this.logger.warn("cached snapshot unreadable; waiting for the API", { file: this.cacheFile });
      return false;
    }
    await this.applySnapshot(await this.opened(snapshot));
    return true;
  }

  /**
   * One pull: applies and reports a changed snapshot; on no change, a heartbeat when one is due, or,
   * while the proxy did not take the last apply, the same snapshot applied again and reported.
   */
  async pollOnce(): Promise<PollOutcome> {
    if (!this.registered) await this.register();
    let response: Response;
    try {
      response = await fetch(`${this.config.apiUrl}/v1/agent/snapshot?agent_id=${encodeURIComponent(this.config.agentId)}`, {
        headers: { Authorization: `Bearer ${this.config.token}`, ...(this.applied ? { "If-None-Match": this.applied.snapshot.etag } : {}) },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      return this.unreachable(`the API did not answer: ${(error as Error).message}`);
    }
    if (response.status === 304) {
      await response.body?.cancel();
      this.failures = 0;
      if (this.applied && this.applied.result.proxy_error !== null) {
        await this.applySnapshot(this.applied.snapshot);
        await this.report();
        return "reapplied";
      }
      if (Date.now() - this.lastReportAt >= HEARTBEAT_SECONDS * 1000) await this.report();
      return "unchanged";
    }
    if (response.status !== 200) {
      const text = (await response.text().catch(() => "")).slice(0, 500);
      return this.unreachable(`the API answered ${response.status}: ${text}`);
    }
    const etag = response.headers.get("etag");
    const body = (await response.json()) as Omit<Snapshot, "etag">;
    if (!etag) return this.unreachable("the API's snapshot has no ETag");
    this.failures = 0;
    const snapshot: Snapshot = { etag, proxy_hosts: body.proxy_hosts, certificates: body.certificates };
    await this.applySnapshot(await this.opened(snapshot));
    await this.cache(snapshot);
    await this.report();
    return "applied";
  }

  /** Reports also carry a CrowdSec bouncer's bans and its error (in part 1). */
  watch(crowdsec: { status(): CrowdSecStatus }): void {
    this.crowdsec = crowdsec;
  }

  /** Seconds until the next poll: the interval, doubled per consecutive failure up to 5 minutes. */
  nextDelaySeconds(): number {
    return Math.min(this.config.intervalSeconds * 2 ** this.failures, Math.max(MAX_BACKOFF_SECONDS, this.config.intervalSeconds));
  }

  /** Polls until `signal` aborts; `wakeup.wake()` (SIGHUP) polls at once. */
  async run(signal: AbortSignal, wakeup: Wakeup): Promise<void> {
    await this.restoreCached();
    while (!signal.aborted) {
      await this.pollOnce();
      await wakeup.wait(this.nextDelaySeconds() * 1000, signal);
    }
  }

  /**
   * Sends this agent's public key (each start; the same key keeps its approval). Until someone
   * who may download private keys approves its thumbprint, snapshots carry no private keys.
   */
  private async register(): Promise<void> {
    try {
      const response = await fetch(`${this.config.apiUrl}/v1/agents/${encodeURIComponent(this.config.agentId)}/key`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${this.config.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ public_key: this.key.publicJwk }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      if (response.status !== 200) {
        this.logger.warn("key not registered", { status: response.status, body: text.slice(0, 500) });
        return;
      }
      this.registered = true;
      const { approved } = JSON.parse(text) as { approved: boolean };
      if (!approved) {
        this.logger.warn("key not approved yet: hosts are served over plain HTTP until it is", {
          thumbprint: this.key.thumbprint,
          approve: `POST ${this.config.apiUrl}/v1/agents/${this.config.agentId}/key/approve {"thumbprint":"${this.key.thumbprint}"} (certificates write)`,
        });
      }
    } catch (error) {
      this.logger.warn("key not registered", { error: (error as Error).message });
    }
  }

  /** The snapshot with its sealed private keys opened (a key sealed to another key stays closed). */
  private async opened(snapshot: Snapshot): Promise<Snapshot> {
    const certificates = [];
    for (const certificate of snapshot.certificates) {
      if (certificate.private_key_jwe === undefined) {
        certificates.push(certificate);
        continue;
      }
      try {
        certificates.push({ ...certificate, private_key_pem: await this.key.open(certificate.private_key_jwe) });
      } catch {
        this.logger.warn("certificate key not opened: sealed to another key", { certificate_id: certificate.id });
        certificates.push(certificate);
      }
    }
    return { ...snapshot, certificates };
  }

  private async applySnapshot(snapshot: Snapshot): Promise<void> {
    const result = await this.driver.apply(snapshot);
    this.applied = { snapshot, result, versions: new Map(snapshot.proxy_hosts.map((h) => [h.id, h.modified_on])) };
    const failed = result.hosts.filter((h) => h.status === "failed");
    this.logger.info("applied", {
      etag: snapshot.etag,
      hosts: result.hosts.length,
      failed: failed.map((h) => ({ id: h.id, error: h.error })),
      reloaded: result.reloaded,
      proxy_error: result.proxy_error,
    });
  }

  private async cache(snapshot: Snapshot): Promise<void> {
    await mkdir(this.config.stateDir, { recursive: true, mode: 0o700 });
    const temporary = `${this.cacheFile}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(snapshot), { mode: 0o600 });
    await rename(temporary, this.cacheFile);
  }

  /**
   * Sends the last apply's report (after an apply, a heartbeat, a change of CrowdSec bans); none
   * before the first apply. One at a time, so that the API keeps the latest.
   */
  report(): Promise<void> {
    this.reporting = this.reporting.catch(() => undefined).then(() => this.sendReport());
    return this.reporting;
  }

  /** Sends the last apply's report, in parts of 500 hosts (the API's limit per request); CrowdSec's bans in part 1. */
  private async sendReport(): Promise<void> {
    if (!this.applied) return;
    const { snapshot, result, versions } = this.applied;
    const parts = reportParts({ agent_id: this.config.agentId, version: this.version, driver: this.config.driver, applied_etag: snapshot.etag }, result, versions);
    if (this.crowdsec && parts[0]) parts[0].crowdsec = crowdSecReport(this.crowdsec.status());
    for (const body of parts) {
      try {
        const response = await fetch(`${this.config.apiUrl}/v1/agent/reports`, {
          method: "POST",
          headers: { Authorization: `Bearer ${this.config.token}`, "Content-Type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await response.text();
        if (response.status !== 200) {
          this.logger.warn("report refused", { status: response.status, part: body.part, body: text.slice(0, 500) });
          return;
        }
      } catch (error) {
        this.logger.warn("report not sent", { part: body.part, error: (error as Error).message });
        return;
      }
    }
    this.lastReportAt = Date.now();
  }

  private unreachable(reason: string): PollOutcome {
    this.failures += 1;
    this.logger.warn("snapshot not pulled; serving the last applied state", { reason, retry_in_seconds: this.nextDelaySeconds() });
    return "unreachable";
  }
}

/** One request of a report (`AgentReport` in the API's document). */
export interface ReportPart {
  agent_id: string;
  version: string;
  driver: string;
  applied_etag: string;
  proxy_error: string | null;
  hosts: { id: number; status: string; serving: string; tls: boolean; waf_mode: string | null; modified_on: string | undefined }[];
  problems: { id: number; error: string | null; note: string | null }[];
  part: number;
  parts: number;
  /** Part 1 only, for an agent that is a CrowdSec bouncer. */
  crowdsec?: ReturnType<typeof crowdSecReport>;
}

/**
 * An apply's report as the API takes it: hosts in parts of 500, each part with its own hosts'
 * texts (failed hosts' errors first, at most 100, each cut to the API's length), every part naming
 * the applied snapshot's ETag so the API joins them (at most 100 parts: 50 000 hosts). Each host
 * names the version it applied (`modified_on`), which the API's edge state compares.
 */
export function reportParts(
  agent: Pick<ReportPart, "agent_id" | "version" | "driver" | "applied_etag">,
  result: ApplyResult,
  versions: Map<number, string>,
): ReportPart[] {
  const chunks: (typeof result.hosts)[] = [];
  for (let start = 0; start < result.hosts.length && chunks.length < MAX_PARTS; start += HOSTS_PER_PART) {
    chunks.push(result.hosts.slice(start, start + HOSTS_PER_PART));
  }
  if (chunks.length === 0) chunks.push([]);
  return chunks.map((hosts, index) => ({
    ...agent,
    proxy_error: result.proxy_error === null ? null : clip(result.proxy_error, 1000),
    hosts: hosts.map(({ id, status, serving, tls, waf_mode }) => ({ id, status, serving, tls, waf_mode, modified_on: versions.get(id) })),
    problems: hosts
      .filter((h) => h.error !== null || h.note !== null)
      .sort((a, b) => Number(b.error !== null) - Number(a.error !== null))
      .slice(0, PROBLEMS_PER_PART)
      .map(({ id, error, note }) => ({ id, error: error === null ? null : clip(error, 300), note: note === null ? null : clipNote(note, NOTE_LENGTH) })),
    part: index + 1,
    parts: chunks.length,
  }));
}

/**
 * The bans for a report: this machine's own decisions first (a community list can hold tens of
 * thousands), at most 100, the texts cut to the API's limits.
 */
function crowdSecReport(status: CrowdSecStatus) {
  const local = (origin: string) => (LOCAL_ORIGINS.has(origin.toLowerCase()) ? 0 : 1);
  const decisions = [...status.decisions]
    .sort((a, b) => local(a.origin) - local(b.origin) || a.id - b.id)
    .slice(0, MAX_DECISIONS)
    .map(({ id, scope, value, type, scenario, origin, duration, until }) => ({
      id, scope, value, type, scenario: ascii(scenario, 80), origin: ascii(origin, 32), duration: ascii(duration, 32), until,
    }));
  return {
    decisions_total: status.decisions.length,
    skipped: status.skipped,
    error: status.error === null ? null : clip(status.error, 300),
    decisions,
  };
}

/** Printable ASCII but `"` and `\` (CrowdSec's names are), cut to `max`: the report's budget counts bytes. */
function ascii(text: string, max: number): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, "?").slice(0, max);
}

/** The report's limits on texts (the API's schema): a longer text is cut, marked with an ellipsis. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A note cut to `max` characters at a clause (notes are clauses joined by `; `), marked with an
 * ellipsis: "a; b; …" rather than "a; b; c…" mid-word. One clause longer than `max` is cut at a word.
 */
function clipNote(note: string, max: number): string {
  if (note.length <= max) return note;
  const clauses = note.split("; ");
  let kept = "";
  for (const clause of clauses) {
    const next = kept === "" ? clause : `${kept}; ${clause}`;
    if (next.length + "; …".length > max) break;
    kept = next;
  }
  if (kept !== "") return `${kept}; …`;
  const words = note.slice(0, max - 1).split(" ").slice(0, -1).join(" ");
  return words === "" ? clip(note, max) : `${words} …`;
}

/** A wait between polls that a signal (SIGHUP: "pull now") can cut short. */
export class Wakeup {
  private wakeNow: (() => void) | null = null;

  wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.wakeNow = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.wakeNow = done;
    });
  }

  wake(): void {
    this.wakeNow?.();
  }
}
