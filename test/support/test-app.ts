/**
 * The application (createApp: its API, its console) on a free loopback port without an engine:
 * on the run's database and CA unless a suite brings its own, sign-in from a fixed directory
 * instead of the engine's identity, and no process started (a start or cancel throws, so a
 * suite that must not start one fails if it does). Suites whose routes only need to know who
 * signs in use it, so they never need an engine.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp, type ApiDeps } from '../../src/api/app';
import type { Caller } from '../../src/api/identity';
import { testCa } from '../integration/ca/support';

export interface TestAppOptions extends Partial<ApiDeps> {
  /** Who may sign in, by user name, with the user name as password; unused when `identity` is given. */
  users?: Readonly<Record<string, Caller>>;
}

export interface TestApp {
  /** http://127.0.0.1:<port> */
  base: string;
  server: Server;
  close(): Promise<void>;
}

const notStarted = async (): Promise<never> => {
  throw new Error('no process is started in this suite');
};

/** Serves the application; what `options` leaves out is the run's (testCa) or the defaults above. */
export async function serveTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const { users = {}, ...given } = options;
  const run = given.pool && given.ca && given.sealer ? undefined : await testCa();
  const app = createApp({
    ...given,
    pool: given.pool ?? run!.db.pool,
    ca: given.ca ?? run!.ca,
    sealer: given.sealer ?? run!.masterKey,
    identity: given.identity ?? { verify: async (u, p) => (Object.hasOwn(users, u) && p === u ? (users[u] ?? null) : null) },
    processes: given.processes ?? { start: notStarted, cancel: notStarted },
    tasklistUrl: given.tasklistUrl ?? 'http://tasklist.invalid',
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
