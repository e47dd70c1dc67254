import { useLocation } from "preact-iso";
import { useEffect } from "preact/hooks";
import { api, must } from "../api/client.js";
import { ErrorMessage, Select, useLoad } from "../ui.js";

/**
 * The DNS provider a screen is about, kept in the address (`?provider=ID`) so it can be linked and
 * reloaded; the first provider when none is named.
 */
export function useProviderPicker(): { providerId: number | undefined; picker: preact.JSX.Element } {
  const { query, path, route } = useLocation();
  const providers = useLoad(() => must(api.GET("/api/v1/dns-providers", { params: { query: { limit: 500 } } })));
  const named = query.provider ? Number(query.provider) : undefined;
  const providerId = named ?? providers.data?.[0]?.id;
  useEffect(() => {
    if (named === undefined && providerId !== undefined) route(`${path}?provider=${providerId}`, true);
  }, [named, providerId]);
  const picker = (
    <>
      <ErrorMessage error={providers.error} />
      {providers.data && providers.data.length === 0 && <p>No DNS providers yet: add one under DNS providers.</p>}
      {providers.data && providers.data.length > 0 && (
        <Select
          label="DNS provider"
          value={String(providerId ?? "")}
          options={providers.data.map((p) => [String(p.id), `${p.name} (${p.acme_dns_provider})`] as const)}
          onChange={(id) => route(`${path}?provider=${id}`, true)}
        />
      )}
    </>
  );
  return { providerId, picker };
}
