import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

const required = ["--api-url", "http://127.0.0.1:8081/api/", "--token", "chrn_x", "--resolver", "127.0.0.53"];

describe("loadConfig", () => {
  it("takes flags before CHARON_AGENT_* variables, with defaults for the rest", async () => {
    const config = await loadConfig([...required, "--http-port", "8080", "--agent-id", "edge-1"], {
      CHARON_AGENT_HTTP_PORT: "9090",
      CHARON_AGENT_HTTPS_PORT: "8443",
      CHARON_AGENT_RELOAD_CMD: "systemctl reload nginx",
      CHARON_AGENT_STATE_DIR: "/srv/agent",
    });
    expect(config).toMatchObject({
      apiUrl: "http://127.0.0.1:8081/api",
      token: "chrn_x",
      agentId: "edge-1",
      stateDir: "/srv/agent",
      intervalSeconds: 10,
      once: false,
      nginx: { confDir: "/srv/agent/nginx", httpPort: 8080, httpsPort: 8443, reloadCommand: ["systemctl", "reload", "nginx"], resolvers: ["127.0.0.53"] },
    });
  });

  it("reads everything from the environment, as a unit file gives it", async () => {
    const config = await loadConfig([], { CHARON_AGENT_API_URL: "https://charon.example.com/api", CHARON_AGENT_TOKEN: "chrn_y", CHARON_AGENT_RESOLVER: "10.0.0.2, [::1]:53", CHARON_AGENT_ONCE: "1" });
    expect(config).toMatchObject({ apiUrl: "https://charon.example.com/api", token: "chrn_y", once: true, nginx: { resolvers: ["10.0.0.2", "[::1]:53"] } });
  });

  it("--driver caddy talks to Caddy's admin API on loopback", async () => {
    const config = await loadConfig([...required, "--driver", "caddy", "--state-dir", "/srv/agent"], { CHARON_AGENT_CADDY_ADMIN: "[::1]:2020" });
    expect(config).toMatchObject({ driver: "caddy", caddy: { adminAddress: "[::1]:2020", confDir: "/srv/agent/caddy", bin: "caddy" } });
    expect((await loadConfig(required, {}))?.caddy.adminAddress).toBe("127.0.0.1:2019");
  });

  it("--help asks for the usage", async () => {
    expect(await loadConfig(["--help"], {})).toBeNull();
  });

  it.each([
    [[], /--api-url \(CHARON_AGENT_API_URL\) is required/],
    [["--api-url", "ftp://x/api", "--token", "t"], /--api-url: 'ftp:\/\/x\/api' is not http or https/],
    [["--api-url", "http://x/api"], /--token \(CHARON_AGENT_TOKEN\) is required/],
    [[...required, "--http-port", "80a"], /--http-port: '80a' is not a whole number from 1 to 65535/],
    [[...required, "--interval", "0"], /--interval: '0' is not a whole number from 1 to 3600/],
    [[...required, "--driver", "apache"], /--driver: 'apache' is not supported/],
    [[...required, "--caddy-admin", "10.0.0.5:2019"], /--caddy-admin: '10.0.0.5:2019' is not a loopback host:port/],
    [[...required, "--caddy-admin", "127.0.0.1"], /--caddy-admin: '127.0.0.1' is not a loopback host:port/],
    [[...required, "--agent-id", "edge 1"], /--agent-id: 'edge 1' must be/],
    [[...required, "--listen", "localhost"], /--listen: 'localhost' is not an IP address/],
    [[...required, "--colour"], /Unknown option '--colour'/],
  ])("%j is refused, naming the flag", async (argv, message) => {
    await expect(loadConfig(argv, {})).rejects.toThrow(ConfigError);
    await expect(loadConfig(argv, {})).rejects.toThrow(message);
  });
});
