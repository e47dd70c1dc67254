/** The proxy agents: what each last reported (driver, version, in sync with the desired configuration, problems). */
import { api, must } from "../api/client.js";
import { ErrorMessage, PageHead, useLoad, when, Scroll } from "../ui.js";

export function Agents() {
  const agents = useLoad(() => must(api.GET("/api/v1/agents")));
  return (
    <section>
      <PageHead title="Agents" />
      <ErrorMessage error={agents.error} />
      {agents.data && agents.data.length === 0 && <p>No agent has reported yet.</p>}
      {agents.data && agents.data.length > 0 && (
        <Scroll label="Agents">
          <table aria-label="Agents">
            <thead>
              <tr><th scope="col">Agent</th><th scope="col">Driver</th><th scope="col">Version</th><th scope="col">Configuration</th><th scope="col">Last report</th><th scope="col">Problems</th></tr>
            </thead>
            <tbody>
              {agents.data.map((agent) => (
                <tr key={agent.agent_id}>
                  <th scope="row">{agent.agent_id}</th>
                  <td>{agent.driver}</td>
                  <td>{agent.version}</td>
                  <td>{agent.in_sync ? "in sync" : "behind"}</td>
                  <td>{when(agent.received_at)}</td>
                  <td>
                    {agent.proxy_error && <div>{agent.proxy_error}</div>}
                    <ul class="plain">
                      {agent.problems.map((problem) => <li key={problem.id}>host #{problem.id}: {problem.error ?? problem.note}</li>)}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </section>
  );
}
