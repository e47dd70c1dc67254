import type { TestProject } from "vitest/node";
import { startDynamoDbLocal, type RunningService } from "@charon/local";

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

/**
 * Starts each emulator once for the whole run, on free loopback ports, and stops them at the
 * end. A missing prerequisite fails here with one message saying what to install.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamodb: RunningService = await startDynamoDbLocal();
  project.provide("dynamodbEndpoint", dynamodb.endpoint);
  return () => dynamodb.stop();
}
