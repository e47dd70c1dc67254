/**
 * Test zone matching (multi-credential-dns.md): a domain in, the credential Charon would use for
 * its DNS-01 challenge and every candidate with its pattern and specificity out (`…/match`).
 */
import { useState } from "preact/hooks";
import { api, ApiError, must, type Schemas } from "../api/client.js";
import { ErrorMessage, Field, PageHead, Scroll } from "../ui.js";
import { useProviderPicker } from "./provider-picker.js";

const MATCH_TYPES = { exact: "exact match", wildcard: "wildcard match", catch_all: "catch-all" } as const;

export function ZoneMatching() {
  const { providerId, picker } = useProviderPicker();
  const [domain, setDomain] = useState("");
  const [match, setMatch] = useState<Schemas["CredentialMatch"]>();
  const [error, setError] = useState<unknown>();
  const submit = async (event: Event) => {
    event.preventDefault();
    if (providerId === undefined) return;
    setError(undefined);
    setMatch(undefined);
    try {
      setMatch(await must(api.GET("/api/v1/dns-providers/{id}/match", { params: { path: { id: providerId }, query: { domain } } })));
    } catch (problem) {
      setError(problem);
    }
  };
  const domainError = error instanceof ApiError && error.fieldOf(["domain"]) ? error.message : undefined;
  return (
    <section>
      <PageHead title="Test zone matching" />
      <form onSubmit={submit} class="inline-form">
        {picker}
        <Field label="Domain" value={domain} onInput={setDomain} error={domainError} placeholder="shop.customer-a.com" spellcheck={false} autoCapitalize="none" required />
        <button type="submit" disabled={providerId === undefined}>Test</button>
      </form>
      {!domainError && <ErrorMessage error={error} />}
      {match && (
        <div class="result" role="status" aria-label="Match result">
          {match.credential ? (
            <p>
              <strong>{match.domain}</strong> uses <strong>“{match.credential.name}”</strong> ({MATCH_TYPES[match.match_type!]}
              {match.matched_pattern ? <> of <code>{match.matched_pattern}</code></> : null}
              {match.zone ? <>, zone <code>{match.zone}</code></> : null}).
            </p>
          ) : (
            <p><strong>{match.domain}</strong>: {match.message ?? "no credential matches"}</p>
          )}
          {!match.multi_credential_enabled && <p>This provider is in single-credential mode: its one credential serves every domain.</p>}
          {match.candidates.length > 0 && (
            <Scroll label="Candidates">
              <table aria-label="Candidates">
                <thead>
                  <tr><th scope="col">Credential</th><th scope="col">Pattern</th><th scope="col">Match</th><th scope="col">Specificity</th></tr>
                </thead>
                <tbody>
                  {match.candidates.map((candidate) => (
                    <tr key={`${candidate.credential_id}-${candidate.pattern}`} class={candidate.credential_id === match.credential?.id ? "chosen" : undefined}>
                      <td>#{candidate.credential_id}{candidate.credential_id === match.credential?.id ? ` ${match.credential.name} (chosen)` : ""}</td>
                      <td><code>{candidate.pattern || "(catch-all)"}</code></td>
                      <td>{MATCH_TYPES[candidate.match_type]}</td>
                      <td>{candidate.specificity}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Scroll>
          )}
        </div>
      )}
    </section>
  );
}
