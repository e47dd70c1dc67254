import { describe, expect, it } from "vitest";
import { reportParts } from "../src/agent.js";
import { chooseCertificate } from "../src/certificates.js";
import { NOT_APPLIED } from "../src/drivers/caddy/render.js";
import type { HostReport } from "../src/drivers/nginx/driver.js";
import type { SnapshotCertificate } from "../src/snapshot.js";
import { host } from "./hosts.js";

/** An apply's report split into the API's parts (500 hosts, 100 texts each). */
const agent = { agent_id: "edge-1", version: "0.1.0", driver: "nginx", applied_etag: '"e"' };

function hosts(n: number, failing: (id: number) => boolean = () => false): HostReport[] {
  return Array.from({ length: n }, (_, i) => {
    const id = i + 1;
    const failed = failing(id);
    return { id, status: failed ? "failed" : "applied", serving: failed ? "none" : "desired", tls: false, waf_mode: null, error: failed ? `[emerg] bad ${id}` : null, note: id % 7 === 0 ? "plain HTTP" : null };
  });
}

describe("reportParts", () => {
  it("sends every host of 1 201 in three parts that name the applied snapshot, each host with the version it applied", () => {
    const versions = new Map(hosts(1201).map((h) => [h.id, `2026-11-30T00:00:00.${String(h.id % 1000).padStart(3, "0")}Z`]));
    const parts = reportParts(agent, { hosts: hosts(1201), reloaded: true, proxy_error: null, trials: 1 }, versions);
    expect(parts.map((p) => [p.part, p.parts, p.hosts.length, p.applied_etag])).toEqual([
      [1, 3, 500, '"e"'],
      [2, 3, 500, '"e"'],
      [3, 3, 201, '"e"'],
    ]);
    expect(parts.flatMap((p) => p.hosts.map((h) => h.id))).toEqual(hosts(1201).map((h) => h.id));
    expect(parts[2]!.hosts.at(-1)).toEqual({ id: 1201, status: "applied", serving: "desired", tls: false, waf_mode: null, modified_on: "2026-11-30T00:00:00.201Z" });
  });

  it("keeps each part's texts to its own hosts, failed hosts' errors before notes, at most 100", () => {
    const parts = reportParts(agent, { hosts: hosts(1000, (id) => id > 800), reloaded: true, proxy_error: null, trials: 9 }, new Map());
    expect(parts[0]!.problems.every((p) => p.id <= 500 && p.error === null)).toBe(true);
    expect(parts[1]!.problems).toHaveLength(100);
    expect(parts[1]!.problems.every((p) => p.id > 800 && p.error === `[emerg] bad ${p.id}`)).toBe(true);
  });

  it("sends one empty part when nothing is served, and cuts long texts to the API's lengths", () => {
    const [only, ...rest] = reportParts(agent, { hosts: [], reloaded: false, proxy_error: "x".repeat(2000), trials: 0 }, new Map());
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ part: 1, parts: 1, hosts: [], problems: [] });
    expect(only!.proxy_error).toHaveLength(1000);
    expect(only!.proxy_error!.endsWith("…")).toBe(true);
  });

  /** The note one host with `note` is reported with. */
  const reportedNote = (note: string) =>
    reportParts(agent, { hosts: [{ id: 1, status: "applied", serving: "desired", tls: false, waf_mode: null, error: null, note }], reloaded: true, proxy_error: null, trials: 1 }, new Map())[0]!
      .problems[0]!.note;
  const certificate = (id: number, domain_names: string[], private_key_pem?: string): SnapshotCertificate => ({ id, domain_names, expires_on: null, fullchain_pem: "c", private_key_pem });
  /** The longest certificate notes (six-digit ids), each as a Caddy host's note starts. */
  const certificateNotes = [
    chooseCertificate(host({ certificate_id: 123456 }), []).note!,
    chooseCertificate(host({ certificate_id: 123456 }), [certificate(123456, ["other.test"], "k")]).note!,
    chooseCertificate(host({ certificate_id: 123456 }), [certificate(123456, ["app.customer-a.test"])]).note!,
    chooseCertificate(host({ certificate_id: 123456 }), [certificate(654321, ["*.customer-a.test"], "k")]).note!,
  ];

  it("reports a certificate's note and a driver's note whole, side by side", () => {
    for (const first of certificateNotes) {
      for (const driver of Object.values(NOT_APPLIED)) {
        const note = `${first}; ${driver}`;
        expect(reportedNote(note)).toBe(note);
      }
    }
  });

  it("cuts notes that do not fit at a clause, never inside a word", () => {
    const note = [certificateNotes[0], NOT_APPLIED.waf, NOT_APPLIED.advancedConfig, NOT_APPLIED.caching].join("; ");
    expect(note.length).toBeGreaterThan(100);
    expect(reportedNote(note)).toBe(`${certificateNotes[0]}; ${NOT_APPLIED.waf}; …`);
    // One clause longer than a note: cut after its last whole word.
    const long = `upstream ${"name".repeat(10)} ${"word ".repeat(30)}end`;
    const cut = reportedNote(long)!;
    expect(cut.length).toBeLessThanOrEqual(100);
    expect(cut).toMatch(/ word …$/);
    expect(long.startsWith(cut.slice(0, -2))).toBe(true);
  });
});
