/** A certificate name and the credential it currently resolves to (written by certificates). */
export interface CredentialUsage {
  providerId: number;
  certificateId: number;
  /** Normalised name as it appears on the certificate. */
  domain: string;
  credentialId: number;
}

/** A usage whose name now resolves to another credential, after a filter or mode change. */
export interface UsageMove {
  usage: CredentialUsage;
  toCredentialId: number;
}
