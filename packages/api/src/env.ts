import type { Principal } from "@charon/core";

/** What middleware puts on the Hono context for handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
  };
}
