/**
 * Signing in (CONSOLE-CONTRACT.md): the pasted API token is exchanged once for an HttpOnly session
 * cookie; the console keeps only the CSRF token and what the token may do, in memory.
 */
import { api, must, setCsrfToken, type Schemas } from "./client.js";

export type Session = Schemas["Session"];

function remember(session: Session): Session {
  setCsrfToken(session.csrf_token);
  return session;
}

export async function signIn(token: string): Promise<Session> {
  return remember(await must(api.POST("/api/v1/sessions", { body: { token } })));
}

/** The session the cookie holds, or undefined when there is none (401). */
export async function currentSession(): Promise<Session | undefined> {
  const result = await api.GET("/api/v1/sessions/current");
  if (result.response.status === 401) return undefined;
  return remember(await must(Promise.resolve(result)));
}

export async function signOut(): Promise<void> {
  await must(api.DELETE("/api/v1/sessions/current"));
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
