/**
 * A signed-in session with a Camunda 8.6 web app (Tasklist or Operate): their APIs refuse
 * basic auth and want the session cookie from `POST /api/login` plus the `X-CSRF-TOKEN` it
 * hands out on every call (measured, ../shared/CAMUNDA-NOTES.md). The session signs in lazily
 * and once more when the web app has forgotten it (restart, expiry).
 */
import { readResponse, type Credentials, type RestResponse } from './rest';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface WebappSession {
  /** The web app's origin, e.g. http://localhost:8082. */
  origin: string;
  username: string;
  call<T = unknown>(method: Method, path: string, body?: unknown, timeoutMs?: number): Promise<RestResponse<T>>;
}

/** Thrown when the web app refuses the credentials (401). */
export class WebappLoginRefused extends Error {
  constructor(origin: string, username: string) {
    super(`${origin} refused the credentials of ${username}`);
    this.name = 'WebappLoginRefused';
  }
}

interface Signed {
  cookie: string;
  csrf: string | undefined;
}

/** Signs in; resolves with the cookies and CSRF token, or null when the credentials are wrong. */
export async function webappLogin(origin: string, user: Credentials, timeoutMs = 10_000): Promise<Signed | null> {
  // The password goes in the form body, never in the URL (URLs end up in access logs).
  const res = await fetch(`${origin}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: user.username, password: user.password }).toString(),
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer();
  if (res.status === 401 || res.status === 403) return null;
  if (res.status !== 204 && res.status !== 200) {
    throw new Error(`${origin}/api/login answered ${res.status}`);
  }
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { cookie, csrf: res.headers.get('x-csrf-token') ?? undefined };
}

/** The origin (scheme://host:port) of a web app URL such as http://localhost:8082/tasklist. */
export function originOf(url: string): string {
  return new URL(url).origin;
}

export function createWebappSession(url: string, user: Credentials): WebappSession {
  const origin = originOf(url);
  let signed: Promise<Signed> | undefined;

  const signIn = (): Promise<Signed> => {
    signed = webappLogin(origin, user).then((s) => {
      if (!s) throw new WebappLoginRefused(origin, user.username);
      return s;
    });
    signed.catch(() => (signed = undefined));
    return signed;
  };

  async function once<T>(s: Signed, method: Method, path: string, body: unknown, timeoutMs: number): Promise<RestResponse<T>> {
    const res = await fetch(`${origin}${path}`, {
      method,
      headers: {
        accept: 'application/json',
        cookie: s.cookie,
        ...(s.csrf ? { 'x-csrf-token': s.csrf } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return readResponse<T>(res);
  }

  return {
    origin,
    username: user.username,
    async call<T>(method: Method, path: string, body?: unknown, timeoutMs = 30_000) {
      const first = await once<T>(await (signed ?? signIn()), method, path, body, timeoutMs);
      if (first.status !== 401 && first.status !== 403) return first;
      // The web app may have forgotten the session (restart): sign in once more, then believe it.
      return once<T>(await signIn(), method, path, body, timeoutMs);
    },
  };
}
