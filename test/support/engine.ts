/**
 * The run's Camunda engine: the configured cluster (ZEEBE_REST_ADDRESS), else the local engine
 * (Camunda 8.6 + OpenSearch by default), started once per run and stopped when the run ends.
 * An engine that cannot be had is a failure, never a skip: a misconfigured machine must not
 * pass. Only a test that needs a feature this engine lacks is pending, and says which
 * (`needsCapability`).
 */
import type { Context } from 'mocha';
import { loadConfig, type Config } from '../../src/config';
import type { EngineCapabilities } from '../../src/engine/capabilities';
import { createCamundaClients, type CamundaClients } from '../../src/engine/client';
import { createEngineApi, endpointsOf, type EngineApi } from '../../src/engine/engine-api';
import { down, up } from '../../src/engine/local-engine';
import { onRunEnd } from './lifecycle';

export interface TestEngine {
  config: Config;
  clients: CamundaClients;
  /** Searches and user-task actions, as the engine at hand does them. */
  api: EngineApi;
  capabilities: EngineCapabilities;
  restAddress: string;
  /** True when this run started the local engine (it is stopped at the end of the run). */
  startedHere: boolean;
}

/** How long a suite's `before` may wait for a first start (downloads + JVM starts). */
export const ENGINE_START_TIMEOUT_MS = 12 * 60_000;

let pending: Promise<TestEngine> | undefined;

async function obtain(): Promise<TestEngine> {
  const config = loadConfig();
  // A run that starts the engine starts it empty: no instance of an earlier run takes the workers' time.
  const handle = await up({ config, fresh: true, log: (line) => console.log(`      ${line}`) });
  if (handle.started) {
    onRunEnd(async () => {
      await down({ config, log: (line) => console.log(`      ${line}`) });
    });
  }
  const clients = createCamundaClients(config);
  // Registered after the engine's stop, so it runs first (clean-ups run last-in, first-out).
  onRunEnd(() => clients.close());
  return {
    config,
    clients,
    api: createEngineApi(endpointsOf(config), handle.capabilities),
    capabilities: handle.capabilities,
    restAddress: handle.restAddress,
    startedHere: handle.started,
  };
}

/** The run's engine (started on first use). Rejects when it cannot be obtained. */
export function testEngine(): Promise<TestEngine> {
  pending ??= obtain();
  return pending;
}

/** Call from a suite's `before(async function () { ... })`: the engine, or the suite fails. */
export async function requireEngine(ctx: Context): Promise<TestEngine> {
  ctx.timeout(ENGINE_START_TIMEOUT_MS);
  return testEngine();
}

/**
 * Marks the current test pending when the engine lacks `capability`, naming the feature
 * (e.g. "needs Camunda 8.8+: user task listeners").
 */
export function needsCapability(ctx: Context, engine: TestEngine, capability: keyof EngineCapabilities, feature: string): void {
  if (!engine.capabilities[capability]) {
    console.log(`      pending on Camunda ${engine.capabilities.version}: needs Camunda 8.8+ (${feature})`);
    ctx.skip();
  }
}
