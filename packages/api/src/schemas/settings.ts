import { z } from "@hono/zod-openapi";
import { settingsRanges } from "@charon/core";
import { URL_RULE, urlPattern } from "./urls.js";

/** The CA's directory (RFC 8555 §7.1.1): https, where the ACME client sends its requests. */
const DIRECTORY_URL = urlPattern("https", { ipv4: true });
const DIRECTORY_URL_DESCRIPTION =
  `An https URL of the CA's ACME directory: ${URL_RULE}; an IPv4 address in place of the host name too. ` +
  "Let's Encrypt production by default; staging: https://acme-staging-v02.api.letsencrypt.org/directory";

const ranged = (field: keyof typeof settingsRanges) =>
  z.number().int().min(settingsRanges[field].min).max(settingsRanges[field].max);

const settingsFields = {
  dns_propagation_timeout_seconds: ranged("dns_propagation_timeout_seconds").openapi({ example: 60 }),
  dns_polling_interval_seconds: ranged("dns_polling_interval_seconds").openapi({ example: 5 }),
  acme_email: z.email().nullable(),
  acme_directory_url: z
    .string()
    .max(2048)
    .regex(DIRECTORY_URL, "must be an https URL of a host name or IPv4 address, with an optional port, path and query")
    .openapi({ description: DIRECTORY_URL_DESCRIPTION }),
  renewal_window_days: ranged("renewal_window_days").openapi({
    example: 30,
    description:
      "Stored and returned for clients of the Nginx Proxy Manager shape; renewals do not read it: they follow the CA's ACME Renewal " +
      "Information, else renew with a third of the lifetime left (half for 10 days or less), as README 'Renewal timing' says",
  }),
  waf_enabled: z.boolean(),
};

const TIMEOUT = settingsRanges.dns_propagation_timeout_seconds;
const INTERVAL = settingsRanges.dns_polling_interval_seconds;

/**
 * The service's rules across a request's fields, in the document (the service checks them): at
 * least one setting (read-only fields alone change nothing), and a polling interval less than the
 * propagation timeout. JSON Schema compares a number only with constants, so the latter is one
 * branch per timeout the interval's range reaches (10–60 s) and one for the longer timeouts.
 */
export const SETTINGS_RULE = {
  allOf: [
    { anyOf: Object.keys(settingsFields).map((field) => ({ required: [field] })) },
    {
      anyOf: [
        { not: { required: ["dns_propagation_timeout_seconds", "dns_polling_interval_seconds"] } },
        { properties: { dns_propagation_timeout_seconds: { minimum: INTERVAL.max + 1 } } },
        ...Array.from({ length: INTERVAL.max - TIMEOUT.min + 1 }, (_, i) => TIMEOUT.min + i).map((timeout) => ({
          properties: { dns_propagation_timeout_seconds: { const: timeout }, dns_polling_interval_seconds: { maximum: timeout - 1 } },
        })),
      ],
    },
  ],
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
