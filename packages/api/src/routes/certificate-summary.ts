import type { CertificateService, TokenService } from "@charon/core";
import { protectedRoute, routeGroup } from "../routing.js";
import { jsonResponse } from "../schemas/common.js";
import { CertificateSummarySchema } from "../schemas/certificate-summary.js";

/** The operational view of certificates (issue 10 §5): what a dashboard or a monitoring probe reads. */
export function certificateSummaryRoutes(tokens: TokenService, certificates: CertificateService) {
  const summary = protectedRoute(tokens, { resource: "certificates", access: "read" }, {
    method: "get",
    path: "/v1/certificates/summary",
    summary: "Counts by status, the next renewals, the failing certificates and why, and how many expire within 7/14/30 days",
    description:
      "Read from the certificate listing, 500 a query, at most 10 000 certificates (20 queries, about 2 500 read units at 10 000; `truncated` says when more exist).",
    tags: ["Certificates"],
    responses: { 200: jsonResponse(CertificateSummarySchema, "The summary") },
  });
  return routeGroup().openapi(summary, async (c) => c.json(await certificates.overview(), 200));
}
