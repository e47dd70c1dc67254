import { MAX_BODY_BYTES } from "@charon/api";

let counter = 0;

/** A valid create body with a name no other sample uses; `overrides` replaces fields. */
export function testHost(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return { domain_names: [`host-${counter}.example.com`], forward_host: "10.0.0.5", forward_port: 3000, ...overrides };
}

/** Just over the API's body limit. */
export const MAX_MAX_BODY = MAX_BODY_BYTES + 1;
