/**
 * Signing in (CONSOLE-CONTRACT.md): the pasted API token is exchanged once for an HttpOnly session
 * cookie; the console keeps only the CSRF token and what the token may do, in memory.
 */
import { ApiError, setCsrfToken, type Schemas } from "./client.js";

export interface Session {
  csrf_token: string;
  expires_at: string;
  token: Pick<Schemas["Token"], "id" | "name" | "permission" | "scopes" | "expires_at">;
}

async function sessionFrom(response: Response): Promise<Session> {
  const body = (await response.json().catch(() => ({}))) as Session & ApiError["body"];
  if (!response.ok) throw new ApiError(response.status, body);
  setCsrfToken(body.csrf_token);
  return body;
}

export async function signIn(token: string): Promise<Session> {
  const response = await fetch("/api/v1/sessions", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token }),
  });
  return sessionFrom(response);
}

/** The session the cookie holds, or undefined when there is none (401). */
export async function currentSession(): Promise<Session | undefined> {
  const response = await fetch("/api/v1/sessions/current");
  if (response.status === 401) return undefined;
  return sessionFrom(response);
}

export async function signOut(session: Session): Promise<void> {
  await fetch("/api/v1/sessions/current", { method: "DELETE", headers: { "X-CSRF-Token": session.csrf_token } });
  setCsrfToken(undefined);
}

export type Resource = keyof Schemas["TokenScopes"];

/** Whether the session's token may `access` `resource` (README: read = every GET; write implies read). */
export function can(session: Session, resource: Resource, access: "read" | "write"): boolean {
  const { permission, scopes } = session.token;
  if (permission === "full") return true;
  if (permission === "read") return access === "read";
  const granted = scopes[resource];
  return granted === "write" || (granted === "read" && access === "read");
}
