import { z } from "@hono/zod-openapi";
import { SINGLE_LINE } from "./strings.js";
import { settingsRanges } from "@charon/core";

const ranged = (field: keyof typeof settingsRanges) =>
  z.number().int().min(settingsRanges[field].min).max(settingsRanges[field].max);

const settingsFields = {
  dns_propagation_timeout_seconds: ranged("dns_propagation_timeout_seconds").openapi({ example: 60 }),
  dns_polling_interval_seconds: ranged("dns_polling_interval_seconds").openapi({ example: 5 }),
  acme_email: z.email().nullable(),
  acme_directory_url: z
    .url({ protocol: /^https$/ })
    // The protocol rule again as a pattern: z.url's protocol option is not in the document.
    .regex(/^https:\/\//, "must be an https URL")
    .regex(SINGLE_LINE, "must not contain control characters")
    .openapi({
    description: "Let's Encrypt production by default; staging: https://acme-staging-v02.api.letsencrypt.org/directory",
  }),
  renewal_window_days: ranged("renewal_window_days").openapi({ example: 30 }),
  waf_enabled: z.boolean(),
};

export const SettingsUpdateSchema = z
  .strictObject(
    Object.fromEntries(Object.entries(settingsFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof settingsFields]: z.ZodOptional<(typeof settingsFields)[K]>;
    },
  )
  .openapi("SettingsUpdate", { example: { dns_propagation_timeout_seconds: 120 } });

export const SettingsSchema = z
  .object({
    dns_propagation_timeout_seconds: z.number().int(),
    dns_polling_interval_seconds: z.number().int(),
    acme_email: z.string().nullable(),
    acme_directory_url: z.string(),
    renewal_window_days: z.number().int(),
    waf_enabled: z.boolean(),
    modified_on: z.string().nullable(),
  })
  .openapi("Settings");
