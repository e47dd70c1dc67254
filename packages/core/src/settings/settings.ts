/** Control-plane settings (`GET/PUT /api/v1/settings`); wire names, stored as one item. */
export interface Settings {
  /** How long issuance waits for a DNS-01 TXT record to become visible. */
  dns_propagation_timeout_seconds: number;
  /** How often it looks while waiting; less than the timeout. */
  dns_polling_interval_seconds: number;
  /** The ACME account's contact address; null until set. */
  acme_email: string | null;
  acme_directory_url: string;
  /** Certificates are renewed when they expire within this many days. */
  renewal_window_days: number;
  /** The global WAF switch: off, no host's WAF runs whatever its own setting. */
  waf_enabled: boolean;
  /** Null until the settings are first changed. */
  modified_on: string | null;
}

export type SettingsPatch = Partial<Omit<Settings, "modified_on">>;

export const LETS_ENCRYPT_PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory";
export const LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

/** Inclusive ranges; the API's schema and the service share them. */
export const settingsRanges = {
  dns_propagation_timeout_seconds: { min: 10, max: 600 },
  dns_polling_interval_seconds: { min: 1, max: 60 },
  renewal_window_days: { min: 1, max: 60 },
} as const;

export const defaultSettings: Settings = {
  dns_propagation_timeout_seconds: 60,
  dns_polling_interval_seconds: 5,
  acme_email: null,
  acme_directory_url: LETS_ENCRYPT_PRODUCTION,
  renewal_window_days: 30,
  waf_enabled: true,
  modified_on: null,
};

export interface StoredSettings {
  settings: Settings;
  /** 0 when nothing is stored yet (the defaults). */
  version: number;
}
