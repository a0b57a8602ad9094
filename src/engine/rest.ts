/**
 * Minimal REST API v2 calls with explicit basic credentials, for what must run as a particular
 * user (the engine's authorizations then apply to that user) and for the launcher's checks.
 * Everything else goes through the SDK client in client.ts.
 */
import type { Config } from '../config';

export interface Credentials {
  username: string;
  password: string;
}

/** The technical user's credentials for REST calls (BASIC), or none (NONE). */
export function credentialsFor(config: Config): Credentials | undefined {
  return config.camunda.authStrategy === 'BASIC' ? { username: config.camunda.username, password: config.camunda.password } : undefined;
}

export function basicAuthHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export interface RestResponse<T = unknown> {
  status: number;
  ok: boolean;
  /** Parsed JSON body, when there is one. */
  body: T | undefined;
  text: string;
}

/** Thrown by `expectOk` when a call did not succeed; keeps status and the problem detail. */
export class RestError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly text: string,
  ) {
    super(`${method} ${path} → ${status} ${text.slice(0, 500)}`);
    this.name = 'RestError';
  }
}

export async function restCall<T = unknown>(
  restAddress: string,
  credentials: Credentials | undefined,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<RestResponse<T>> {
  const res = await fetch(`${restAddress.replace(/\/$/, '')}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(credentials ? { authorization: basicAuthHeader(credentials.username, credentials.password) } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return readResponse<T>(res);
}

/** Status, text and (when it is JSON) the parsed body of a fetch response. */
export async function readResponse<T>(res: Response): Promise<RestResponse<T>> {
  const text = await res.text();
  let parsed: T | undefined;
  try {
    parsed = text ? (JSON.parse(text) as T) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, ok: res.ok, body: parsed, text };
}

export function expectOk<T>(method: string, path: string, r: RestResponse<T>): RestResponse<T> {
  if (!r.ok) throw new RestError(method, path, r.status, r.text);
  return r;
}

/**
 * Completes a user task listener's job with its verdict (REST v2 job result): a denial keeps
 * the task as it was and shows the reason.
 */
export async function completeListenerJob(
  restAddress: string,
  credentials: Credentials | undefined,
  jobKey: string,
  verdict: { denied: boolean; deniedReason?: string },
): Promise<void> {
  const path = `/v2/jobs/${encodeURIComponent(jobKey)}/completion`;
  const body = { variables: {}, result: { type: 'userTask', denied: verdict.denied, ...(verdict.denied ? { deniedReason: verdict.deniedReason } : {}) } };
  expectOk('POST', path, await restCall(restAddress, credentials, 'POST', path, body));
}
