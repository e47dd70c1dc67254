/**
 * The console's one way to the API: openapi-fetch over the types generated from the API's own
 * OpenAPI document (`schema.d.ts`), same origin, the session cookie sent by the browser. Every
 * request that changes something carries the session's CSRF token (CONSOLE-CONTRACT.md).
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type Schemas = components["schemas"];

let csrfToken: string | undefined;

/** The CSRF token of the current session (from sign-in or `GET /api/v1/sessions/current`). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Dispatched on `window` when the API says the session is gone (expired, signed out elsewhere, token revoked). */
export const SESSION_ENDED = "charon:session-ended";

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && request.method !== "GET" && request.method !== "HEAD") request.headers.set("X-CSRF-Token", csrfToken);
    return request;
  },
  onResponse({ request, response }) {
    // A 401 anywhere but at sign-in itself means the session ended: back to signing in.
    if (response.status === 401 && !(request.method === "POST" && new URL(request.url).pathname === "/api/v1/sessions")) {
      dispatchEvent(new Event(SESSION_ENDED));
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: location.origin, credentials: "same-origin" });
api.use(csrf);

/** The API's error body (api-conventions.md): `error` a title, `message`/`details` what to change. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; message?: string; details?: string; [key: string]: unknown },
  ) {
    super(body.details ?? body.message ?? body.error ?? `The API answered ${status}`);
    this.name = "ApiError";
  }

  /**
   * Which of `fields` the error names: a validation message starts with the field's path
   * (`forward_port: Too big…`, `credentials.api_token: is required`); a domain error names it in
   * its title ("Invalid zone filter format" → `zone_filter`). Undefined when it names none of them.
   */
  fieldOf(fields: readonly string[]): string | undefined {
    const path = /^([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*):/i.exec(this.message)?.[1];
    if (path) {
      const byPath = fields.find((field) => path === field || path.startsWith(`${field}.`));
      if (byPath) return byPath;
    }
    const title = `${this.body.error ?? ""} ${this.body.message ?? ""}`.toLowerCase();
    return fields.find((field) => title.includes(field.replace(/_/g, " ")));
  }
}

/** The data of an openapi-fetch result, or its error body thrown as an `ApiError`. */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, (error ?? {}) as ApiError["body"]);
  return data as T;
}
