/**
 * The console: signed out, the sign-in screen; signed in, the navigation (only what the session's
 * token may read) and the screen of the current path (client routing; the server answers
 * `index.html` for every path outside `/api`).
 */
import { createContext } from "preact";
import { LocationProvider, Route, Router, useLocation } from "preact-iso";
import { useContext, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { SESSION_ENDED } from "./api/client.js";
import { can, currentSession, signOut, type Resource, type Session } from "./api/session.js";
import { SignIn } from "./screens/sign-in.js";
import { DnsProviders } from "./screens/dns-providers.js";
import { Credentials } from "./screens/credentials.js";
import { ZoneMatching } from "./screens/zone-matching.js";
import { Usage } from "./screens/usage.js";
import { AuditLog } from "./screens/audit-log.js";
import { ProxyHosts } from "./screens/proxy-hosts.js";
import { Certificates } from "./screens/certificates.js";
import { Tokens } from "./screens/tokens.js";
import { Agents } from "./screens/agents.js";
import { Security } from "./screens/security.js";

const SessionContext = createContext<Session | undefined>(undefined);

/** The signed-in session; screens render only inside one. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a session");
  return session;
}

/** Whether the session's token may do it: what it may not, the console does not offer. */
export function useCan(resource: Resource, access: "read" | "write"): boolean {
  return can(useSession(), resource, access);
}

const SECTIONS: ReadonlyArray<{ path: string; label: string; resource: Resource }> = [
  { path: "/proxy-hosts", label: "Proxy hosts", resource: "proxy_hosts" },
  { path: "/certificates", label: "Certificates", resource: "certificates" },
  { path: "/dns-providers", label: "DNS providers", resource: "dns_providers" },
  { path: "/zone-matching", label: "Test zone matching", resource: "dns_providers" },
  { path: "/usage", label: "Credential usage", resource: "dns_providers" },
  { path: "/audit-log", label: "Audit log", resource: "audit" },
  { path: "/tokens", label: "API tokens", resource: "tokens" },
  { path: "/agents", label: "Agents", resource: "agents" },
  { path: "/security", label: "WAF and CrowdSec", resource: "security" },
];

export function App() {
  // undefined: not asked yet; null: asked, no session.
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  useLayoutEffect(() => {
    currentSession().then(
      (current) => setSession(current ?? null),
      () => setSession(null),
    );
    const ended = () => setSession(null);
    addEventListener(SESSION_ENDED, ended);
    return () => removeEventListener(SESSION_ENDED, ended);
  }, []);
  if (session === undefined) return <p class="loading" role="status">Loading…</p>;
  return (
    <LocationProvider>
      {session === null ? (
        <SignIn onSignedIn={setSession} />
      ) : (
        <SessionContext.Provider value={session}>
          <Shell session={session} onSignedOut={() => setSession(null)} />
        </SessionContext.Provider>
      )}
    </LocationProvider>
  );
}

function Shell({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const { path } = useLocation();
  const sections = SECTIONS.filter((section) => can(session, section.resource, "read"));
  const main = useRef<HTMLElement>(null);
  // A new screen moves focus to its heading, so screen readers announce where the person is.
  useEffect(() => {
    main.current?.querySelector<HTMLElement>("h1")?.focus();
  }, [path]);
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Charon</span>
        <nav aria-label="Sections">
          <ul>
            {sections.map((section) => (
              <li key={section.path}>
                <a href={section.path} aria-current={path.startsWith(section.path) ? "page" : undefined}>{section.label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>Token “{session.token.name}” ({session.token.permission})</span>
          <button type="button" class="secondary" onClick={() => void signOut().finally(onSignedOut)}>Sign out</button>
        </div>
      </header>
      <main id="main" ref={main}>
        <Router>
          <Route path="/proxy-hosts" component={ProxyHosts} />
          <Route path="/certificates" component={Certificates} />
          <Route path="/dns-providers" component={DnsProviders} />
          <Route path="/dns-providers/:id/credentials" component={Credentials} />
          <Route path="/zone-matching" component={ZoneMatching} />
          <Route path="/usage" component={Usage} />
          <Route path="/audit-log" component={AuditLog} />
          <Route path="/tokens" component={Tokens} />
          <Route path="/agents" component={Agents} />
          <Route path="/security" component={Security} />
          <Route default component={() => <Home first={sections[0]?.path} />} />
        </Router>
      </main>
    </>
  );
}

/** `/` and unknown paths: the first section the token may read. */
function Home({ first }: { first: string | undefined }) {
  const { route } = useLocation();
  useEffect(() => {
    if (first) route(first, true);
  }, [first]);
  return first ? null : <p>This token may not read anything the console shows.</p>;
}
