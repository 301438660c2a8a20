import { useState, type FormEvent } from 'react';
import { client, errorText } from '../api';
import { ErrorMessage, TextField } from '../components';

export function SignIn({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  const [loginId, setLoginId] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await client.login(loginId, password);
      await onSignedIn();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <section className="narrow">
      <h1 tabIndex={-1}>Sign in</h1>
      <p>Sign in with your workspace account to manage connections with other organizations.</p>
      <form onSubmit={(e) => void submit(e)} aria-describedby={error ? 'signin-error' : undefined}>
        <TextField label="Email or username" value={loginId} onChange={setLoginId} required autoComplete="username" />
        <TextField label="Password" type="password" value={password} onChange={setPassword} required autoComplete="current-password" />
        <div id="signin-error">
          <ErrorMessage>{error}</ErrorMessage>
        </div>
        <button type="submit" className="primary" disabled={busy || !loginId || !password}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </section>
  );
}
