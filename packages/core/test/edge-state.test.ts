import { describe, expect, it } from "vitest";
import { edgeStates, reportedWaf, type HostApplyReport, type StoredAgentReport } from "../src/index.js";

/** Hosts' state at the edge from several agents' reports (edge-state.ts's rule). */
const V1 = "2026-11-30T01:00:00.000Z";
const V2 = "2026-11-30T02:00:00.000Z";
/** A minute after the reports arrived (`received_at` V2). */
const NOW = new Date("2026-11-30T02:01:00.000Z");

function report(agent_id: string, hosts: (Partial<HostApplyReport> & { id: number })[], errors: Record<number, string> = {}, driver: "nginx" | "caddy" = "nginx"): StoredAgentReport {
  return {
    agent_id,
    version: "0.1.0",
    driver,
    applied_etag: '"e"',
    proxy_error: null,
    hosts: hosts.map((h) => ({ status: "applied", serving: "desired", tls: false, waf_mode: null, modified_on: V2, ...h })),
    problems: Object.entries(errors).map(([id, error]) => ({ id: Number(id), error, note: null })),
    part: 1,
    parts: 1,
    received_at: V2,
    token_id: 1,
  };
}

const host = (id: number, extra: { enabled?: boolean; waf_enabled?: boolean; modified_on?: string } = {}) => ({
  id,
  modified_on: V2,
  enabled: true,
  waf_enabled: false,
  ...extra,
});

describe("edgeStates", () => {
  it("is offline without an error while no agent has applied the host's current version", () => {
    const states = edgeStates([host(1), host(2)], [report("edge-1", [{ id: 1, modified_on: V1 }])], NOW);
    expect(states.get(1)).toEqual({ nginx_online: false, nginx_err: null });
    expect(states.get(2)).toEqual({ nginx_online: false, nginx_err: null });
  });

  it("is online once an agent serves the current version, and an agent still on an older one does not count", () => {
    const states = edgeStates([host(1)], [report("edge-1", [{ id: 1 }]), report("edge-2", [{ id: 1, modified_on: V1, status: "failed" }], { 1: "old error" })], NOW);
    expect(states.get(1)).toEqual({ nginx_online: true, nginx_err: null });
  });

  it("is offline with the proxy's error line, naming the agent, when one agent failed the current version while another serves it", () => {
    const error = '[emerg] unknown directive "x" in hosts/1.conf:14';
    const states = edgeStates([host(1)], [report("edge-1", [{ id: 1 }]), report("edge-2", [{ id: 1, status: "failed", serving: "previous" }], { 1: error })], NOW);
    expect(states.get(1)).toEqual({ nginx_online: false, nginx_err: `edge-2: ${error}` });
  });

  it("says a failed host is not served when its report carries no error text (problems are capped at 100)", () => {
    const states = edgeStates([host(1)], [report("edge-1", [{ id: 1, status: "failed", serving: "none" }])], NOW);
    expect(states.get(1)).toEqual({ nginx_online: false, nginx_err: "edge-1: not served (failed)" });
  });

  it("shows a disabled host offline, whatever the agents say", () => {
    const states = edgeStates([host(1, { enabled: false })], [report("edge-1", [{ id: 1, status: "disabled", serving: "none" }])], NOW);
    expect(states.get(1)).toEqual({ nginx_online: false, nginx_err: null });
  });

  it("stops counting an agent silent for five heartbeats: its host goes offline, and a live agent's word stands", () => {
    const silent = { ...report("edge-1", [{ id: 1 }]), received_at: "2026-11-30T01:55:59.000Z" };
    expect(edgeStates([host(1)], [silent], NOW).get(1)).toEqual({ nginx_online: false, nginx_err: null });
    const justInTime = { ...silent, received_at: "2026-11-30T01:56:00.000Z" };
    expect(edgeStates([host(1)], [justInTime], NOW).get(1)).toEqual({ nginx_online: true, nginx_err: null });
    const failedLongAgo = { ...report("edge-2", [{ id: 1, status: "failed" }], { 1: "old error" }), received_at: silent.received_at };
    expect(edgeStates([host(1)], [report("edge-1", [{ id: 1 }]), failedLongAgo], NOW).get(1)).toEqual({ nginx_online: true, nginx_err: null });
  });

  it("ignores an entry without the version it applied (an older agent)", () => {
    const states = edgeStates([host(1)], [report("edge-1", [{ id: 1, modified_on: undefined }])], NOW);
    expect(states.get(1)).toEqual({ nginx_online: false, nginx_err: null });
  });
});

describe("reportedWaf", () => {
  it("lists each agent's mode in effect; a Caddy agent serving a WAF host shows unsupported, nginx without it off", () => {
    const hosts = [host(1, { waf_enabled: true }), host(2)];
    const reports = [
      report("edge-1", [{ id: 1, waf_mode: "block" }, { id: 2 }]),
      report("edge-2", [{ id: 1 }, { id: 2 }], {}, "caddy"),
      report("edge-3", [{ id: 1, status: "failed" }], { 1: "WAF unavailable" }),
    ];
    const waf = reportedWaf(hosts, reports, NOW);
    expect(waf.get(1)).toEqual([
      { agent_id: "edge-1", driver: "nginx", waf_mode: "block" },
      { agent_id: "edge-2", driver: "caddy", waf_mode: "unsupported" },
    ]);
    expect(waf.get(2)).toEqual([
      { agent_id: "edge-1", driver: "nginx", waf_mode: "off" },
      { agent_id: "edge-2", driver: "caddy", waf_mode: "off" },
    ]);
  });
});
