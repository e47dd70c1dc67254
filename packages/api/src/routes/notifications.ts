import type { NotificationService, TokenService } from "@charon/core";
import { actorOf } from "../actor.js";
import { protectedRoute, routeGroup } from "../routing.js";
import { DeletedSchema, IdParamsSchema, acceptingReadOnly, jsonBody, jsonResponse } from "../schemas/common.js";
import {
  NOTIFICATION_READ_ONLY,
  NOTIFICATION_UPDATE_RULE,
  NotificationCreateSchema,
  NotificationListSchema,
  NotificationSavedSchema,
  NotificationSchema,
  NotificationUpdateSchema,
  notificationBody,
} from "../schemas/notifications.js";

const SIGNING =
  "Each event is a POST of `{id, type, occurred_at, data}` signed per Standard Webhooks: `webhook-id`, `webhook-timestamp` (seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of \"<id>.<timestamp>.<body>\">` keyed with the base64 after `whsec_`. A delivery without a 2xx is retried after 1 min, 5 min, 30 min and 2 h, then given up; `last_delivery` shows the last attempt.";

/** Webhook subscriptions (issue 10 §4), under their own `notifications` scope. */
export function notificationRoutes(tokens: TokenService, notifications: NotificationService) {
  const tags = ["Notifications"];
  const read = { resource: "notifications", access: "read" } as const;
  const write = { resource: "notifications", access: "write" } as const;

  const list = protectedRoute(tokens, read, {
    method: "get",
    path: "/v1/notifications",
    summary: "List webhook subscriptions (never their secrets)",
    description: "Lowest id first; at most 50 exist.",
    tags,
    responses: { 200: jsonResponse(NotificationListSchema, "The subscriptions") },
  });
  const create = protectedRoute(tokens, write, {
    method: "post",
    path: "/v1/notifications",
    summary: "Subscribe a URL to events; the signing secret is in this answer and never again",
    description: `${SIGNING} A URL the outbound policy refuses is a 400; a 51st subscription a 409.`,
    tags,
    request: { body: jsonBody(acceptingReadOnly(NotificationCreateSchema, NOTIFICATION_READ_ONLY, "NotificationCreate")) },
    responses: { 201: jsonResponse(NotificationSavedSchema, "The new subscription, with its secret") },
  });
  const get = protectedRoute(tokens, read, {
    method: "get",
    path: "/v1/notifications/{id}",
    summary: "A webhook subscription and its last delivery",
    tags,
    request: { params: IdParamsSchema },
    responses: { 200: jsonResponse(NotificationSchema, "The subscription") },
  });
  const update = protectedRoute(tokens, write, {
    method: "patch",
    path: "/v1/notifications/{id}",
    summary: "Change a subscription (only the fields given change)",
    tags,
    request: {
      params: IdParamsSchema,
      body: jsonBody(acceptingReadOnly(NotificationUpdateSchema, NOTIFICATION_READ_ONLY, "NotificationUpdate", NOTIFICATION_UPDATE_RULE)),
    },
    responses: { 200: jsonResponse(NotificationSavedSchema, "The subscription (with `secret` when this request set one)") },
  });
  const remove = protectedRoute(tokens, write, {
    method: "delete",
    path: "/v1/notifications/{id}",
    summary: "Delete a subscription and its signing secret",
    tags,
    request: { params: IdParamsSchema },
    responses: { 200: jsonResponse(DeletedSchema, "Deleted") },
  });

  return routeGroup()
    .openapi(list, async (c) => c.json((await notifications.list()).map(notificationBody), 200))
    .openapi(create, async (c) => {
      const body = c.req.valid("json");
      const saved = await notifications.create(
        {
          url: body.url,
          events: body.events,
          enabled: body.enabled,
          expiringDays: body.expiring_days,
          ...(body.secret === undefined ? {} : { secret: body.secret }),
        },
        actorOf(c),
      );
      return c.json({ ...notificationBody(saved.subscription), secret: saved.secret }, 201);
    })
    .openapi(get, async (c) => c.json(notificationBody(await notifications.get(c.req.valid("param").id)), 200))
    .openapi(update, async (c) => {
      const body = c.req.valid("json");
      const saved = await notifications.update(
        c.req.valid("param").id,
        {
          ...(body.url === undefined ? {} : { url: body.url }),
          ...(body.events === undefined ? {} : { events: body.events }),
          ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
          ...(body.expiring_days === undefined ? {} : { expiringDays: body.expiring_days }),
          ...(body.secret === undefined ? {} : { secret: body.secret }),
        },
        actorOf(c),
      );
      return c.json({ ...notificationBody(saved.subscription), ...(saved.secret === undefined ? {} : { secret: saved.secret }) }, 200);
    })
    .openapi(remove, async (c) => {
      const { id } = c.req.valid("param");
      await notifications.delete(id, actorOf(c));
      return c.json({ id, deleted: true as const }, 200);
    });
}
