import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { inject } from "vitest";
import { freePort } from "@charon/local";
import { startFakeCloudflare } from "../fakes/cloudflare/index.js";
import { startFakeDigitalOcean } from "../fakes/digitalocean/index.js";
import { runSchemathesis } from "../harness/schemathesis.js";
import { npmStart, type StartedServer } from "../support/npm-start.js";

/**
 * The permanent guard of issue 8: a property-based run of `/api/openapi.json` against `npm start`
 * with a full-access token. Every response must be a documented status with a body matching its
 * schema, never a 5xx; every request valid by the document must be accepted or refused for a
 * reason of state (404, 409); every request the document forbids must be refused. Cloudflare and
 * DigitalOcean are the fakes; Route 53 is moto (the harness's environment, inherited).
 */
const token = `chrn_schemathesis_${randomBytes(12).toString("hex")}`;
const stops: Array<() => Promise<void>> = [];
afterAll(() => Promise.all(stops.map((stop) => stop())));

it("every operation of the OpenAPI document holds under schemathesis", async () => {
  const [cloudflare, digitalocean] = await Promise.all([startFakeCloudflare(), startFakeDigitalOcean()]);
  stops.push(cloudflare.stop, digitalocean.stop);
  const server: StartedServer = await npmStart({
    PORT: String(await freePort()),
    CHARON_DATA_DIR: await mkdtemp(join(tmpdir(), "charon-schemathesis-data-")),
    CHARON_TABLE_NAME: `schemathesis-${randomBytes(4).toString("hex")}`,
    AWS_ENDPOINT_URL_DYNAMODB: inject("dynamodbEndpoint"),
    CHARON_BOOTSTRAP_TOKEN: token,
    CHARON_CLOUDFLARE_API_URL: cloudflare.url,
    CHARON_DIGITALOCEAN_API_URL: digitalocean.url,
    // Schemathesis checks that a request without Authorization is a 401, hundreds of times from
    // one address: the failed-authentication limit (a 429, documented) would answer instead.
    CHARON_AUTH_FAILURE_LIMIT: "1000000",
  });
  stops.push(server.interrupt);

  const { passed, report } = await runSchemathesis({
    schemaUrl: `${server.origin}/api/openapi.json`,
    token,
    seed: 8,
    maxTimeSeconds: 120,
    checks: [
      "not_a_server_error",
      "status_code_conformance",
      "content_type_conformance",
      "response_headers_conformance",
      "response_schema_conformance",
      "negative_data_rejection",
      "positive_data_acceptance",
      "missing_required_header",
      "unsupported_method",
    ],
    // Refusals for a reason of state: nothing there (404), the stored state (409), a limit the
    // state reached (429: renew now after 5 failed orders of a name this hour).
    acceptedStatuses: ["2xx", "404", "409", "429"],
    // Token ids are small integers: the run would revoke its own token (id 1) and see nothing
    // but 401s from then on. Revocation has its own tests (packages/api/test/tokens.test.ts).
    // The session routes take a token in the body (sign-in: any string the schema allows is a
    // 401, not a rule a schema can state) or the session cookie, which the run does not hold;
    // packages/api/test/sessions.test.ts and the authorisation matrix cover them.
    excludeOperations: ["DELETE /api/v1/tokens/{id}", "POST /api/v1/sessions", "GET /api/v1/sessions/current", "DELETE /api/v1/sessions/current"],
    // Valid-by-the-document requests refused with 400 by design, one entry per operation with its
    // reason: rules no JSON Schema can state (a cursor's signature, a time relative to the server's
    // clock). Every other rule is in the document (docs/decisions/0018).
    baseline: fileURLToPath(new URL("./schemathesis-baseline.json", import.meta.url)),
  });
  expect(passed, report).toBe(true);

  // The run was authenticated to its end: a run that lost its token would pass on 401s alone.
  const still = await fetch(`${server.origin}/api/v1/tokens`, { headers: { Authorization: `Bearer ${token}` } });
  expect(still.status).toBe(200);
}, 600_000);
