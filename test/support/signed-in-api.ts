/**
 * The API signed in without an engine (issue 16.4): on the run's database and CA, with a fixed
 * directory of users (password = user name) whose groups come from the store — the same groups
 * the engine identity adds on every engine — and process starts and cancellations recorded
 * instead of sent to Camunda. What is checked is what the API decides and hands over; the
 * engine suites (signed-in.spec.ts) check that the engine runs what it is handed.
 */
import { callerWithStoreGroups } from '../../src/api/identity';
import type { ProcessEngine } from '../../src/engine/processes';
import { testCa } from '../integration/ca/support';
import { serveTestApp } from './test-app';

/** An error answer (RFC 9457) of the API. */
export interface Problem {
  title?: string;
  status?: number;
  detail?: string;
}

export interface RecordedStart {
  processId: string;
  variables: Record<string, unknown>;
}

export interface SignedInApi {
  base: string;
  /** Every process the API started, in order. */
  starts: RecordedStart[];
  /** Every process instance the API cancelled. */
  cancelled: string[];
  /** Calls the API as `user` (password = user name unless given); parses a JSON answer (a problem, unless `T` says otherwise). */
  call<T = Problem>(method: string, path: string, user: string, body?: unknown, password?: string): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/** Users of the directory, by name, with their address; their groups are the store's. */
export type Directory = Record<string, { email: string | null; displayName?: string }>;

export async function signedInApi(directory: Directory): Promise<SignedInApi> {
  const { db } = await testCa();
  const starts: RecordedStart[] = [];
  const cancelled: string[] = [];
  const processes: ProcessEngine = {
    start: async (processId, variables) => {
      starts.push({ processId, variables });
      return { processInstanceKey: String(2251799813200000 + starts.length) };
    },
    cancel: async (key) => {
      cancelled.push(key);
    },
  };
  const app = await serveTestApp({
    identity: {
      verify: async (username, password) => {
        const entry = Object.hasOwn(directory, username) ? directory[username] : undefined;
        if (!entry || password !== username) return null;
        return callerWithStoreGroups(db.pool, { username, displayName: entry.displayName ?? username, email: entry.email, roles: [], groups: [] });
      },
    },
    processes,
  });
  const { base } = app;
  return {
    base,
    starts,
    cancelled,
    async call<T>(method: string, path: string, user: string, body?: unknown, password = user) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    close: app.close,
  };
}
