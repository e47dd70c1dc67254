import type { Principal } from "@charon/core";

/** What middleware puts on the Hono context for handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** See middleware/client-address.ts; null when the platform gives none. */
    clientAddress: string | null;
    principal: Principal;
  };
}
