// Issuance: ACME orders as resumable steps over acme-client, the DNS-01 solver, propagation checks.
export * from "./dns01/index.js";
