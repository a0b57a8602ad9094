import { useState, type FormEvent } from 'react';
import { Button, Form, Heading, InlineLoading, PasswordInput, Stack, TextInput, Tile } from '@carbon/react';
import { signIn, type Me } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';

export function SignIn({ onSignedIn, initialError }: { onSignedIn(me: Me): void; initialError: string | null }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(initialError);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(username.trim(), password));
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  }

  return (
    <Tile className="console-signin">
      <Form onSubmit={submit} aria-label="Sign in">
        <Stack gap={6}>
          <Heading>Sign in</Heading>
          <p>Use the same user and password as in Camunda Tasklist.</p>
          {error && <ErrorNotice title="Not signed in" error={error} />}
          <TextInput id="username" labelText="User name" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
          <PasswordInput id="password" labelText="Password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
          {busy ? <InlineLoading description="Checking with the engine…" /> : <Button type="submit">Sign in</Button>}
        </Stack>
      </Form>
    </Tile>
  );
}
