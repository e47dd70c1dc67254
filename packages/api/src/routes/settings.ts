import type { SettingsService, TokenService } from "@charon/core";
import { actorOf } from "../actor.js";
import { protectedRoute, routeGroup } from "../routing.js";
import { acceptingReadOnly, jsonBody, jsonResponse } from "../schemas/common.js";
import { SETTINGS_RULE, SettingsSchema, SettingsUpdateSchema } from "../schemas/settings.js";

export function settingsRoutes(tokens: TokenService, settings: SettingsService) {
  const tags = ["Settings"];
  const get = protectedRoute(tokens, { resource: "settings", access: "read" }, {
    method: "get",
    path: "/v1/settings",
    summary: "The control plane's settings",
    tags,
    responses: { 200: jsonResponse(SettingsSchema, "The settings (defaults until changed)") },
  });
  const update = protectedRoute(tokens, { resource: "settings", access: "write" }, {
    method: "put",
    path: "/v1/settings",
    summary: "Change settings: only the fields given change",
    description:
      "`dns_polling_interval_seconds` must be less than `dns_propagation_timeout_seconds`: a 400 when the request gives both, a 409 when it gives one and the stored other contradicts it.",
    tags,
    request: { body: jsonBody(acceptingReadOnly(SettingsUpdateSchema, ["modified_on"], "SettingsUpdate", SETTINGS_RULE)) },
    responses: { 200: jsonResponse(SettingsSchema, "The settings after the change") },
  });
  return routeGroup()
    .openapi(get, async (c) => c.json(await settings.get(), 200))
    .openapi(update, async (c) => c.json(await settings.update(actorOf(c), c.req.valid("json")), 200));
}
