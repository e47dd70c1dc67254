/**
 * Credential usage (multi-credential-dns.md, "Monitoring"): per credential its success rate,
 * counts and last used / success / failure, and the Low Success Rate Alert below 90 %.
 */
import { api, must } from "../api/client.js";
import { ErrorMessage, PageHead, percent, useLoad, when, Scroll } from "../ui.js";
import { allCredentials } from "./credentials.js";
import { useProviderPicker } from "./provider-picker.js";

export function Usage() {
  const { providerId, picker } = useProviderPicker();
  const usage = useLoad(async () => {
    if (providerId === undefined) return undefined;
    const params = { path: { id: providerId } };
    const [statistics, credentials] = await Promise.all([must(api.GET("/api/v1/dns-providers/{id}/statistics", { params })), allCredentials(providerId)]);
    return { statistics, credentials };
  }, [providerId]);
  const statistics = usage.data?.statistics;
  return (
    <section>
      <PageHead title="Credential usage" />
      {picker}
      <ErrorMessage error={usage.error} />
      {statistics && (
        <>
          <p>
            {statistics.total_credentials} credentials: {statistics.active_credentials} enabled, {statistics.inactive_credentials} disabled.
          </p>
          {statistics.alerts.map((alert) => (
            <div key={alert.credential_id} class="warning" role="alert">
              <p><strong>⚠️ Low Success Rate Alert</strong>: {alert.message}</p>
            </div>
          ))}
        </>
      )}
      {usage.data && (
        <Scroll label="Usage per credential">
          <table aria-label="Usage per credential">
            <thead>
              <tr>
                <th scope="col">Credential</th>
                <th scope="col">Success rate</th>
                <th scope="col">Used</th>
                <th scope="col">Succeeded</th>
                <th scope="col">Failed</th>
                <th scope="col">Last used</th>
                <th scope="col">Last success</th>
                <th scope="col">Last failure</th>
              </tr>
            </thead>
            <tbody>
              {usage.data.credentials.map((credential) => (
                <tr key={credential.id} class={credential.success_rate_alert ? "alerting" : undefined}>
                  <th scope="row">{credential.name}</th>
                  <td>{percent(credential.success_rate)}{credential.success_rate_alert ? " ⚠️" : ""}</td>
                  <td>{credential.usage_count}</td>
                  <td>{credential.success_count}</td>
                  <td>{credential.failure_count}</td>
                  <td>{when(credential.last_used_at)}</td>
                  <td>{when(credential.last_success_at)}</td>
                  <td>{when(credential.last_failure_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </section>
  );
}
