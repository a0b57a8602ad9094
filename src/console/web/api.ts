/**
 * The console's only way to the server: the API under /api, signed in with HTTP basic
 * credentials — the same user and password as in Camunda Tasklist. The credentials stay in this
 * tab's session storage (gone when the tab closes) and go only to this origin.
 * Every failure becomes an ApiError whose message a person can act on.
 */

const STORAGE_KEY = 'workplace-pki-console.credentials';

export interface Me {
  username: string;
  displayName: string;
  email: string | null;
  groups: string[];
  isAdmin: boolean;
  tasklistUrl: string;
}

export interface Problem {
  title?: string;
  status?: number;
  detail?: string;
  issues?: string[];
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

let credentials: string | null = sessionStorage.getItem(STORAGE_KEY);
const signedOutListeners = new Set<() => void>();

/** Called when the server no longer accepts the credentials (e.g. the password changed). */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

export const hasCredentials = (): boolean => credentials !== null;

function basic(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

/** Signs in: the server checks the credentials with the engine; resolves with who is signed in. */
export async function signIn(username: string, password: string): Promise<Me> {
  credentials = basic(username, password);
  try {
    const me = await api<Me>('GET', '/api/me');
    sessionStorage.setItem(STORAGE_KEY, credentials);
    return me;
  } catch (err) {
    credentials = null;
    throw err;
  }
}

export function signOut(): void {
  credentials = null;
  sessionStorage.removeItem(STORAGE_KEY);
  signedOutListeners.forEach((l) => l());
}

/** A failed answer in words: the server's detail where it has one, else what the status means. */
function explain(status: number, problem: Problem | undefined): string {
  const detail = problem?.detail ? problem.detail.charAt(0).toUpperCase() + problem.detail.slice(1) : undefined;
  // A refusal with one issue often repeats its detail as that issue: said once.
  const more = problem?.issues?.filter((i) => i !== problem.detail) ?? [];
  const issues = more.length ? ` (${more.join('; ')})` : '';
  switch (status) {
    case 401:
      return 'The user name or password was not accepted. Sign in with the same user and password as in Camunda Tasklist.';
    case 403:
      return `You may not do this. ${detail ?? ''}`.trim();
    case 404:
      return `Not found. ${detail ?? ''}`.trim();
    case 413:
      return detail ?? 'The file is too large.';
    case 429:
      return 'Too many failed sign-ins from this computer: wait 15 minutes, then try again.';
    case 500:
      return 'Something went wrong on the server. The details are in the server log; try again, or tell an administrator.';
    case 502:
    case 503:
    case 504:
      return `A service the console needs does not answer right now. ${detail ?? 'Try again in a minute.'}`.trim();
    default:
      return detail ? `${detail}${issues}` : `The server refused this (status ${status}).`;
  }
}

async function send(method: string, path: string, body: unknown, accept: string): Promise<Response> {
  const headers: Record<string, string> = { accept, 'x-requested-with': 'workplace-pki-console' };
  if (credentials) headers.authorization = credentials;
  // A file goes as it is: the server reads what it holds from its bytes.
  const file = body instanceof Blob;
  if (body !== undefined) headers['content-type'] = file ? 'application/octet-stream' : 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : file ? body : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new ApiError('The console cannot reach the server. Check that it is running and your network, then try again.', 0);
  }
  if (res.ok) return res;
  let problem: Problem | undefined;
  try {
    problem = (await res.json()) as Problem;
  } catch {
    problem = undefined;
  }
  if (res.status === 401 && credentials && path !== '/api/me') signOut();
  throw new ApiError(explain(res.status, problem), res.status);
}

/** Calls the API; resolves with its JSON answer (undefined for 204). A Blob body is sent as the file it is. */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body, 'application/json');
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** Saves a file the API answers with (signed in, so no plain link would do). */
export async function download(path: string, fallbackName: string): Promise<void> {
  const res = await send('GET', path, undefined, '*/*');
  const name = /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  saveBlob(await res.blob(), name);
}

export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A query string from the values that are set. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
