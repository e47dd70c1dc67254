import type { AgentLogger } from "../agent.js";
import { BanSet, denyList, type AppliedDecision, type DecisionStream } from "./decisions.js";

/** Where the Local API is and how to ask it. */
export interface BouncerConfig {
  /** The Local API's base URL (`http://127.0.0.1:8080`), without `/v1`. */
  lapiUrl: string;
  /** The bouncer's API key (`cscli bouncers add <name>`). Never logged or reported. */
  key: string;
  /** Seconds between pulls (10). */
  intervalSeconds: number;
}

/** What takes a deny list to the proxy: nginx's `geo` map now, Caddy's `remote_ip` next. */
export interface DenyListTarget {
  /**
   * Makes the proxy refuse (403) requests from these addresses and CIDRs in every host it serves.
   * `applied` false: the proxy refused the list, its last good one stays in force (`error` says
   * why). `applied` with an `error`: the list is in the proxy's configuration, but the proxy did
   * not take it yet (not running, say).
   */
  applyDenyList(list: string[]): Promise<{ applied: boolean; error: string | null }>;
}

/** The bouncer's state for the agent's report. */
export interface CrowdSecStatus {
  /** The bans the proxy enforces, lowest id first. */
  decisions: AppliedDecision[];
  /** Decisions in force the proxy does not apply (`captcha`, `Country`, …). */
  skipped: number;
  /** Why the bans enforced may not be current: the Local API does not answer, or the proxy refused the list. */
  error: string | null;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** The longest wait between pulls while the Local API does not answer. */
const MAX_BACKOFF_SECONDS = 300;

/**
 * A CrowdSec bouncer: pulls `GET /v1/decisions/stream` (header `X-Api-Key`), with `startup=true`
 * first (every decision in force) and then the deltas since its last pull, which the Local API
 * tracks per bouncer. Bans become the proxy's deny list; a pull that changes nothing touches
 * nothing. While the Local API does not answer the last list stays in force, the failure is
 * reported and pulls back off (doubling, up to 5 minutes); the first answer after that is a
 * `startup=true` again, so deltas lost meanwhile cannot leave a stale ban.
 */
export class Bouncer {
  private readonly bans = new BanSet();
  private applied: AppliedDecision[] = [];
  private appliedList: string[] | null = null;
  /** The last list the proxy refused: not offered again until the bans change. */
  private refusedList: string[] | null = null;
  private lapiError: string | null = null;
  private proxyError: string | null = null;
  private needStartup = true;
  private failures = 0;

  constructor(
    private readonly config: BouncerConfig,
    private readonly target: DenyListTarget,
    private readonly logger: AgentLogger,
    /** Called after the status changed (new bans applied, an error came or went): the agent reports. */
    private readonly onChange: () => Promise<void>,
  ) {}

  status(): CrowdSecStatus {
    return { decisions: this.applied, skipped: this.bans.skipped, error: this.lapiError ?? this.proxyError };
  }

  /** One pull; applies the deny list when it changed. */
  async pullOnce(now: () => Date = () => new Date()): Promise<"changed" | "unchanged" | "unreachable"> {
    const before = JSON.stringify(this.status());
    const startup = this.needStartup;
    let stream: DecisionStream | null = null;
    try {
      stream = await this.pull(startup);
      this.lapiError = null;
      this.failures = 0;
      this.needStartup = false;
    } catch (error) {
      this.failures += 1;
      this.needStartup = true;
      this.lapiError = (error as Error).message;
      this.logger.warn("CrowdSec decisions not pulled; the last ones stay in force", {
        reason: this.lapiError,
        retry_in_seconds: this.nextDelaySeconds(),
      });
    }
    if (stream) this.bans.update(stream, now(), startup);
    else this.bans.expire(now());
    await this.enforce();
    const changed = JSON.stringify(this.status()) !== before;
    if (changed) await this.onChange();
    return stream === null ? "unreachable" : changed ? "changed" : "unchanged";
  }

  /** Seconds until the next pull: the interval, doubled per consecutive failure up to 5 minutes. */
  nextDelaySeconds(): number {
    return Math.min(this.config.intervalSeconds * 2 ** this.failures, Math.max(MAX_BACKOFF_SECONDS, this.config.intervalSeconds));
  }

  /** Pulls until `signal` aborts; `wakeup.wake()` (SIGHUP) pulls at once. */
  async run(signal: AbortSignal, wakeup: { wait(ms: number, signal: AbortSignal): Promise<void> }): Promise<void> {
    while (!signal.aborted) {
      await this.pullOnce();
      await wakeup.wait(this.nextDelaySeconds() * 1000, signal);
    }
  }

  private async pull(startup: boolean): Promise<DecisionStream> {
    let response: Response;
    try {
      response = await fetch(`${this.config.lapiUrl}/v1/decisions/stream?startup=${startup}`, {
        headers: { "X-Api-Key": this.config.key, Accept: "application/json" },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new Error(`the CrowdSec Local API did not answer: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text().catch(() => "");
    if (response.status === 403) throw new Error("the CrowdSec Local API refused the bouncer key (403): check CHARON_AGENT_CROWDSEC_KEY (cscli bouncers add)");
    if (response.status !== 200) throw new Error(`the CrowdSec Local API answered ${response.status}: ${text.slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error("the CrowdSec Local API's answer is not JSON");
    }
    if (!isStream(body)) throw new Error("the CrowdSec Local API's answer has no 'new' and 'deleted' lists");
    return body;
  }

  /** Takes the ban set to the proxy when its deny list differs from the one in force. */
  private async enforce(): Promise<void> {
    const bans = this.bans.list();
    const list = denyList(bans);
    const same = (other: string[] | null) => other !== null && other.join(" ") === list.join(" ");
    if (same(this.appliedList)) {
      this.applied = bans;
      this.proxyError = null;
      return;
    }
    if (same(this.refusedList)) return;
    const { applied, error } = await this.target.applyDenyList(list);
    if (!applied) {
      this.proxyError = `the proxy refused the deny list (the last good one stays): ${error}`;
      this.refusedList = list;
      this.logger.warn("deny list refused", { error });
      return;
    }
    this.proxyError = error === null ? null : `the deny list is written but the proxy did not load it: ${error}`;
    this.refusedList = null;
    this.appliedList = list;
    this.applied = bans;
    this.logger.info("CrowdSec bans applied", { bans: bans.length, addresses: list.length, proxy_error: error });
  }
}

function isStream(body: unknown): body is DecisionStream {
  if (typeof body !== "object" || body === null) return false;
  const { new: added, deleted } = body as Record<string, unknown>;
  const list = (value: unknown) => value === null || value === undefined || (Array.isArray(value) && value.every(isDecision));
  return list(added) && list(deleted);
}

function isDecision(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const d = value as Record<string, unknown>;
  return typeof d["id"] === "number" && ["origin", "scope", "value", "type", "scenario", "duration"].every((k) => typeof d[k] === "string");
}
