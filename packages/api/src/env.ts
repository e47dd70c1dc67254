import type { ActiveSession, Principal } from "@charon/core";

/** What middleware puts on the Hono context for handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** See middleware/client-address.ts; null when the platform gives none. */
    clientAddress: string | null;
    principal: Principal;
    /** The console session the cookie names, on the session routes (middleware/session-cookie.ts). */
    session: ActiveSession;
  };
}
