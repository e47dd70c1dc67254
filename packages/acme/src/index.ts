// Issuance: ACME orders as resumable steps over acme-client, the DNS-01 solver, propagation checks.
export * from "./dns01/index.js";
export { AcmeAccounts, ACME_ACCOUNT_SECRET_PREFIX, readAcmeSettings, type AcmeSettings } from "./account.js";
export { Issuer, privateKeyContext, type IssuanceLogger, type IssuanceTimings, type IssuerDependencies } from "./issuer.js";
export { AcmeRenewalInformation, ariCertId } from "./renewal-info.js";
export { CaRateLimited } from "./acme-client.js";
