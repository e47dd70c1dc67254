/** WAF modes of the proxy hosts, and the active CrowdSec decisions the agents reported. */
import { api, must } from "../api/client.js";
import { ErrorMessage, PageHead, useLoad, when, Scroll } from "../ui.js";

export function Security() {
  const waf = useLoad(() => must(api.GET("/api/security/waf")));
  const decisions = useLoad(() => must(api.GET("/api/security/crowdsec/decisions", { params: { query: { limit: 500 } } })));
  return (
    <section>
      <PageHead title="WAF and CrowdSec" />
      <h2>Web application firewall</h2>
      <ErrorMessage error={waf.error} />
      {waf.data && (
        <ul class="plain">
          {(["block", "monitor", "off"] as const).map((mode) => (
            <li key={mode}>
              <strong>{mode}</strong>: {waf.data!.counts[mode]} host{waf.data!.counts[mode] === 1 ? "" : "s"}
              {waf.data!.hosts[mode].length > 0 && ` (${waf.data!.hosts[mode].map((host) => host.domain_names?.join(", ") ?? `#${host.id}`).join("; ")})`}
            </li>
          ))}
        </ul>
      )}
      <h2>CrowdSec decisions</h2>
      <ErrorMessage error={decisions.error} />
      {decisions.data && decisions.data.length === 0 && <p>No active decisions.</p>}
      {decisions.data && decisions.data.length > 0 && (
        <Scroll label="CrowdSec decisions">
          <table aria-label="CrowdSec decisions">
            <thead>
              <tr><th scope="col">Value</th><th scope="col">Type</th><th scope="col">Scenario</th><th scope="col">Origin</th><th scope="col">Until</th><th scope="col">Agent</th></tr>
            </thead>
            <tbody>
              {decisions.data.map((decision) => (
                <tr key={decision.id}>
                  <th scope="row">{decision.scope} {decision.value}</th>
                  <td>{decision.type}</td>
                  <td>{decision.scenario}</td>
                  <td>{decision.origin}</td>
                  <td>{when(decision.until)}</td>
                  <td>{decision.agent}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </section>
  );
}
