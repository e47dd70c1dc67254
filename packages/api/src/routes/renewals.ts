import { z } from "@hono/zod-openapi";
import { ServiceUnavailableError, type NotificationService, type RenewalService, type TokenService } from "@charon/core";
import { protectedRoute, routeGroup } from "../routing.js";
import { jsonResponse } from "../schemas/common.js";

const SweepResultSchema = z
  .object({
    checked: z.number().int().openapi({ description: "Certificates the renewal index filed at or before now" }),
    due: z.number().int().openapi({ description: "Those whose renewal time had come (the others only had their renewal information fetched)" }),
    enqueued: z.number().int().openapi({ description: "Renewal orders opened and enqueued (a certificate with an order running keeps it)" }),
    failed: z.number().int().openapi({ description: "Certificates that could not be handled (logged); the next sweep tries them again" }),
    expiring_alerts: z
      .number()
      .int()
      .openapi({
        description:
          "certificate_expiring deliveries enqueued for webhook subscriptions; one already delivered for that certificate and expiry is not sent again",
      }),
  })
  .openapi("RenewalSweep");

/** `POST /api/v1/renewals/run`: the scheduled sweep's renewals and expiry warnings, now. */
export function renewalRoutes(tokens: TokenService, renewals: RenewalService | undefined, notifications: Pick<NotificationService, "checkExpiring">) {
  const run = protectedRoute(tokens, { resource: "certificates", access: "write" }, {
    method: "post",
    path: "/v1/renewals/run",
    summary: "Run a renewal sweep now",
    description:
      "What the scheduled sweep does twice a day: fetches the CA's renewal information of the certificates whose check is due and opens a renewal " +
      "order for each certificate whose renewal time has come (not during its backoff, nor for a name with 5 failed orders this hour), " +
      "then sends the certificate_expiring warnings that are due to webhook subscriptions.",
    tags: ["Certificates"],
    responses: { 200: jsonResponse(SweepResultSchema, "What the sweep did") },
  });
  return routeGroup().openapi(run, async (c) => {
    if (!renewals) throw new ServiceUnavailableError("Certificate issuance is not configured here, so nothing is renewed");
    const swept = await renewals.sweep();
    const expiring = await notifications.checkExpiring();
    return c.json({ ...swept, expiring_alerts: expiring.enqueued }, 200);
  });
}
