import { useState } from "preact/hooks";
import { ApiError } from "../api/client.js";
import { signIn, type Session } from "../api/session.js";
import { Field } from "../ui.js";

/** Paste an API token once; it is exchanged for a session cookie and forgotten. */
export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const session = await signIn(token.trim());
      setToken("");
      onSignedIn(session);
    } catch (problem) {
      setError(problem instanceof ApiError ? problem.message : String(problem));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to Charon</h1>
      <form onSubmit={submit}>
        <Field
          label="API token"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={token}
          onInput={setToken}
          error={error}
          hint="Paste a token (chrn_…). The console exchanges it for a session and does not keep it."
          required
        />
        <button type="submit" disabled={busy || token.trim() === ""}>Sign in</button>
      </form>
    </main>
  );
}
