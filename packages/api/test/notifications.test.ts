import { afterAll, describe, expect, it } from "vitest";
import { testApi } from "../../../test/support/api.js";

/** Webhook subscriptions through the API (issue 10 §4): CRUD, validation, the write-only secret. */
const api = await testApi({ standardDns: false });
afterAll(() => api.stop());

const subscription = { url: "https://hooks.example.com/charon", events: ["certificate_failed", "certificate_expiring"] };

/** Everything the table holds about a subscription and its audit trail, as text. */
async function storedText(id: number): Promise<string> {
  const item = await api.table.get({ pk: `WEBHOOK#${id}`, sk: "WEBHOOK" });
  const audit = await api.table.queryAll({ partition: `AUDITRES#notification#${id}`, index: "gsi1" });
  return JSON.stringify([item, audit]);
}

describe("webhook subscriptions", () => {
  it("creates with defaults and a generated secret shown once, never in reads, the table or the audit trail", async () => {
    const created = await api.send("POST", "/api/v1/notifications", { body: subscription });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...subscription, enabled: true, expiring_days: 7, last_delivery: null });
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const read = await api.send("GET", `/api/v1/notifications/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty("secret");
    const listed = await api.send("GET", "/api/v1/notifications");
    expect(listed.body.map((s: { id: number }) => s.id)).toContain(created.body.id);
    const stored = await storedText(created.body.id);
    for (const text of [JSON.stringify(read.body), JSON.stringify(listed.body), stored]) {
      expect(text).not.toContain(secret.slice("whsec_".length, 20));
    }
    expect(stored).toContain("notification_created");
  });

  it("takes a given secret, and a PATCH replaces it (shown in that answer only)", async () => {
    const mine = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const created = await api.send("POST", "/api/v1/notifications", { body: { ...subscription, secret: mine, expiring_days: 14 } });
    expect(created.body).toMatchObject({ secret: mine, expiring_days: 14 });
    const next = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const patched = await api.send("PATCH", `/api/v1/notifications/${created.body.id}`, { body: { secret: next, enabled: false } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ secret: next, enabled: false, url: subscription.url, expiring_days: 14 });
    const renamed = await api.send("PATCH", `/api/v1/notifications/${created.body.id}`, { body: { url: "https://other.example.net/in" } });
    expect(renamed.body).not.toHaveProperty("secret");
    expect(renamed.body).toMatchObject({ url: "https://other.example.net/in", enabled: false });
    const stored = await storedText(created.body.id);
    expect(stored).not.toContain("MfKQ9r8GKYqrTwjUPD8I");
    expect(stored).not.toContain("C2FVsBQIhrscChlQIMV");
    expect(stored).toContain('"secret_changed":true');
  });

  it("accepts its own GET fed back as a create", async () => {
    const created = await api.send("POST", "/api/v1/notifications", { body: subscription });
    const { secret: _secret, ...read } = created.body;
    const again = await api.send("POST", "/api/v1/notifications", { body: read });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(created.body.id);
  });

  it("refuses a PATCH that names no field", async () => {
    const created = await api.send("POST", "/api/v1/notifications", { body: subscription });
    const empty = await api.send("PATCH", `/api/v1/notifications/${created.body.id}`, { body: { id: 5, last_delivery: null } });
    expect(empty.status).toBe(400);
    expect(empty.body.message).toBe("Nothing to change: give at least one field (a PATCH changes only the fields it names)");
  });

  it("deletes, then answers 404", async () => {
    const created = await api.send("POST", "/api/v1/notifications", { body: subscription });
    expect((await api.send("DELETE", `/api/v1/notifications/${created.body.id}`)).body).toEqual({ id: created.body.id, deleted: true });
    const gone = await api.send("GET", `/api/v1/notifications/${created.body.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.message).toBe(`Notification with ID ${created.body.id} not found`);
    expect((await api.send("DELETE", `/api/v1/notifications/${created.body.id}`)).status).toBe(404);
  });

  it.each([
    [{ ...subscription, events: [] }, "events: Too small"],
    [{ ...subscription, events: ["certificate_issued"] }, "events.0: Invalid option"],
    [{ ...subscription, events: ["certificate_failed", "certificate_failed"] }, "events: must not repeat an event"],
    [{ ...subscription, url: "ftp://hooks.example.com/" }, "url: must be an http:// or https:// URL"],
    [{ ...subscription, url: "https://hooks.example.com/a b" }, "url: must be an http:// or https:// URL: a host name"],
    [{ ...subscription, url: "http://169.254.169.254/latest" }, "url: 169.254.169.254 is a link-local address"],
    [{ ...subscription, url: "http://10.1.2.3/hook" }, "url: 10.1.2.3 is a private address (allow it with CHARON_OUTBOUND_ALLOW=private)"],
    [{ ...subscription, url: "https://user:pass@hooks.example.com/" }, "url: must be an http:// or https:// URL: a host name"],
    [{ ...subscription, expiring_days: 0 }, "expiring_days: Too small"],
    [{ ...subscription, expiring_days: 91 }, "expiring_days: Too big"],
    [{ ...subscription, secret: "hunter2" }, "secret: must be whsec_ followed by base64"],
    [{ ...subscription, retries: 3 }, "Unknown field 'retries'"],
  ])("refuses %j with a 400 naming the field", async (body, message) => {
    const answer = await api.send("POST", "/api/v1/notifications", { body });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain(message);
    // A refused secret is never repeated back.
    if ("secret" in body) expect(JSON.stringify(answer.body)).not.toContain("hunter2");
  });

  it("needs the notifications scope: read to list, write to change", async () => {
    const reader = await api.issue({ permission: "scoped", scopes: { notifications: "read" } });
    expect((await api.send("GET", "/api/v1/notifications", { token: reader })).status).toBe(200);
    const denied = await api.send("POST", "/api/v1/notifications", { token: reader, body: subscription });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe("Insufficient permissions to manage notifications");
    const certificates = await api.issue({ permission: "scoped", scopes: { certificates: "write" } });
    expect((await api.send("GET", "/api/v1/notifications", { token: certificates })).status).toBe(403);
  });
});
