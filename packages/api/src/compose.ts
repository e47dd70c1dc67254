import { TokenService, systemClock, type Clock } from "@charon/core";
import { DynamoApiTokenRepository, type DynamoTable } from "@charon/aws";
import type { AppServices } from "./app.js";

/** The adapters an entry point chooses; everything else is wired the same everywhere. */
export interface Adapters {
  table: DynamoTable;
  clock?: Clock;
}

export function createServices({ table, clock = systemClock }: Adapters): AppServices {
  return {
    tokens: new TokenService(new DynamoApiTokenRepository(table), clock),
  };
}
