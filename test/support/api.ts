/**
 * The API on a free port with its real dependencies: the run's database, the test CA, and the
 * configured engine for sign-in and process starts (suites that sign in need the engine).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Camunda8 } from '@camunda8/sdk';
import { createApp } from '../../src/api/app';
import { createEngineIdentity } from '../../src/api/identity';
import { loadConfig } from '../../src/config';
import { sdkConfiguration } from '../../src/engine/client';
import { lazyEngineApi } from '../../src/engine/engine-api';
import { createProcessEngine } from '../../src/engine/processes';
import { testCa } from '../integration/ca/support';
import { onRunEnd } from './lifecycle';

export interface TestApi {
  base: string;
  /** Every request log line the API wrote. */
  logLines: string[];
  basic(username: string, password?: string): Record<string, string>;
}

let pending: Promise<TestApi> | undefined;

async function start(): Promise<TestApi> {
  const config = loadConfig();
  const { ca, db, masterKey } = await testCa();
  const logLines: string[] = [];
  const app = createApp({
    pool: db.pool,
    ca,
    sealer: masterKey,
    identity: createEngineIdentity({ engine: lazyEngineApi(config), db: db.pool }),
    processes: createProcessEngine(new Camunda8(sdkConfiguration(config)).getCamundaRestClient()),
    tasklistUrl: config.camunda.tasklistUrl,
    engine: lazyEngineApi(config),
    log: (line) => logLines.push(line),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  onRunEnd(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logLines,
    basic: (username, password = username) => ({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` }),
  };
}

/** The run's API server (started on first use). */
export function testApi(): Promise<TestApi> {
  pending ??= start();
  return pending;
}
