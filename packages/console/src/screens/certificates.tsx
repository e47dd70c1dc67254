/**
 * Certificates: status and, while pending, the order's current step (README "Certificates"), the
 * credential that wrote each name's DNS-01 value, expiry; requesting one over a DNS provider,
 * renewing, and downloading (which needs `certificates` write: the zip holds the private key).
 */
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, must, type Schemas } from "../api/client.js";
import { useCan } from "../app.js";
import { Dialog, ErrorMessage, Field, PageHead, Select, useLoad, when, Scroll } from "../ui.js";

type Certificate = Schemas["Certificate"];

const STEPS: Record<NonNullable<Certificate["step"]>, string> = {
  requested: "requested",
  order_created: "order created",
  values_written: "DNS values written",
  propagated: "DNS values propagated",
  challenges_answered: "challenges answered",
  finalized: "finalized",
  stored: "stored",
  cleaned: "DNS values cleaned",
};
/** While an order runs, its progress is read again this often (ms). */
const POLL_MS = 2000;

export function Certificates() {
  const mayWrite = useCan("certificates", "write");
  const certificates = useLoad(() => must(api.GET("/api/nginx/certificates", { params: { query: { limit: 500 } } })));
  const [requesting, setRequesting] = useState(false);
  const [actionError, setActionError] = useState<unknown>();
  const pending = certificates.data?.some((certificate) => certificate.status === "pending") ?? false;
  useEffect(() => {
    if (!pending || certificates.loading) return;
    const timer = setTimeout(certificates.reload, POLL_MS);
    return () => clearTimeout(timer);
  }, [pending, certificates.loading, certificates.data]);
  const renew = async (certificate: Certificate) => {
    setActionError(undefined);
    try {
      await must(api.POST("/api/nginx/certificates/{id}/renew", { params: { path: { id: certificate.id } } }));
      certificates.reload();
    } catch (problem) {
      setActionError(problem);
    }
  };
  return (
    <section>
      <PageHead title="Certificates">{mayWrite && <button type="button" onClick={() => setRequesting(true)}>Request certificate</button>}</PageHead>
      <ErrorMessage error={certificates.error ?? actionError} />
      {certificates.data && certificates.data.length === 0 && <p>No certificates yet.</p>}
      {certificates.data && certificates.data.length > 0 && (
        <Scroll label="Certificates">
          <table aria-label="Certificates">
            <thead>
              <tr><th scope="col">Names</th><th scope="col">Status</th><th scope="col">DNS credential per name</th><th scope="col">Expires</th><th scope="col">Actions</th></tr>
            </thead>
            <tbody>
              {certificates.data.map((certificate) => (
                <tr key={certificate.id}>
                  <th scope="row">{certificate.nice_name || certificate.domain_names.join(", ")}</th>
                  <td>
                    <span class={`status ${certificate.status}`}>{certificate.status}</span>
                    {certificate.status === "pending" && certificate.step && <div>step: {STEPS[certificate.step]}</div>}
                    {certificate.error && <div class="hint">{certificate.error}</div>}
                    {certificate.next_retry_at && <div class="hint">next attempt {when(certificate.next_retry_at)}</div>}
                  </td>
                  <td>
                    <ul class="plain">
                      {certificate.credentials.map((used) => (
                        <li key={used.domain}>{used.domain}: {used.credential_name ?? `#${used.credential_id}`}</li>
                      ))}
                    </ul>
                  </td>
                  <td>{certificate.expires_on ? when(certificate.expires_on) : "–"}</td>
                  <td class="actions">
                    {mayWrite && certificate.status !== "pending" && (
                      // The renew endpoint tries a never-issued certificate's issuance again: say so.
                      <button type="button" class="small secondary" onClick={() => void renew(certificate)} aria-label={`${certificate.serial ? "Renew" : "Retry"} ${certificate.nice_name}`}>
                        {certificate.serial ? "Renew" : "Retry"}
                      </button>
                    )}
                    {mayWrite && certificate.status === "active" && (
                      <a class="button small secondary" href={`/api/nginx/certificates/${certificate.id}/download`} download aria-label={`Download ${certificate.nice_name}`}>Download</a>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      {requesting && <RequestCertificate onClose={() => setRequesting(false)} onDone={() => (setRequesting(false), certificates.reload())} />}
    </section>
  );
}

const KEY_TYPES = [
  ["ecdsa-p256", "ECDSA P-256 (default)"],
  ["ecdsa-p384", "ECDSA P-384"],
  ["rsa-2048", "RSA 2048"],
  ["rsa-3072", "RSA 3072"],
  ["rsa-4096", "RSA 4096"],
] as const;

function RequestCertificate({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const providers = useLoad(() => must(api.GET("/api/v1/dns-providers", { params: { query: { limit: 500 } } })));
  const [names, setNames] = useState("");
  const [providerId, setProviderId] = useState("");
  const [keyType, setKeyType] = useState<(typeof KEY_TYPES)[number][0]>("ecdsa-p256");
  const [error, setError] = useState<unknown>();
  const chosen = providerId || String(providers.data?.[0]?.id ?? "");
  const fields = ["domain_names", "meta"] as const;
  const placed = error instanceof ApiError ? error.fieldOf(fields) : undefined;
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    const domain_names = names.split(",").map((name) => name.trim()).filter(Boolean);
    try {
      await must(
        api.POST("/api/nginx/certificates", {
          body: { provider: "letsencrypt", domain_names, meta: { dns_challenge: true, dns_provider_id: Number(chosen), key_type: keyType } },
        }),
      );
      onDone();
    } catch (problem) {
      setError(problem);
    }
  };
  return (
    <Dialog title="Request certificate" onClose={onClose}>
      <form onSubmit={submit}>
        <Field label="Domain names" value={names} onInput={setNames} hint="Comma-separated: shop.example.com, *.example.com" error={placed === "domain_names" ? (error as ApiError).message : undefined} required />
        <ErrorMessage error={providers.error} />
        {providers.data && (
          <Select label="DNS provider (DNS-01 challenge)" value={chosen} options={providers.data.map((p) => [String(p.id), p.name] as const)} onChange={setProviderId} error={placed === "meta" ? (error as ApiError).message : undefined} />
        )}
        <Select label="Key type" value={keyType} options={KEY_TYPES} onChange={setKeyType} />
        {error !== undefined && !placed && <ErrorMessage error={error} />}
        <div class="actions">
          <button type="submit" disabled={!chosen}>Request</button>
          <button type="button" class="secondary" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}
