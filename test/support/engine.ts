/**
 * The run's Camunda engine: the configured cluster (ZEEBE_REST_ADDRESS), else the local engine
 * from camunda-local/ (reused when one is already healthy, else started once per run and
 * stopped when the run ends). Suites call `engineOrSkip(this)` in `before`: when this machine
 * cannot provide an engine (no Java 21+, or the Camunda distribution cannot be resolved), the
 * suite is marked pending and the reason is printed once, so the run stays green.
 */
import type { Context } from 'mocha';
import { loadConfig, type Config } from '../../src/config';
import { createCamundaClients, type CamundaClients } from '../../src/engine/client';
import { DistributionUnavailableError } from '../../src/engine/distribution';
import { JavaNotFoundError } from '../../src/engine/java';
import { down, up } from '../../src/engine/local-engine';
import { onRunEnd } from './lifecycle';

export interface TestEngine {
  config: Config;
  clients: CamundaClients;
  restAddress: string;
  /** True when this run started the local engine (it is stopped at the end of the run). */
  startedHere: boolean;
}

/** How long a suite's `before` may wait for a first start (download + JVM start). */
export const ENGINE_START_TIMEOUT_MS = 12 * 60_000;

let pending: Promise<TestEngine> | undefined;
let reasonPrinted = false;

async function obtain(): Promise<TestEngine> {
  const config = loadConfig();
  const handle = await up({
    config,
    log: (line) => console.log(`      ${line}`),
  });
  if (handle.started) {
    onRunEnd(async () => {
      await down({ config, log: (line) => console.log(`      ${line}`) });
    });
  }
  const clients = createCamundaClients(config);
  // Registered after the engine's stop, so it runs first (clean-ups run last-in, first-out).
  onRunEnd(() => clients.close());
  return { config, clients, restAddress: handle.restAddress, startedHere: handle.started };
}

/** The run's engine (started on first use). Rejects when it cannot be obtained. */
export function testEngine(): Promise<TestEngine> {
  pending ??= obtain();
  return pending;
}

/** True for the reasons that mean "this machine cannot provide an engine" (not a bug). */
export function isEngineUnavailable(err: unknown): err is DistributionUnavailableError | JavaNotFoundError {
  return err instanceof DistributionUnavailableError || err instanceof JavaNotFoundError;
}

/**
 * Call from a suite's `before(async function () { ... })`: returns the engine, or marks the
 * suite pending (`this.skip()`) when this machine cannot provide one. Other failures (an engine
 * that crashes, a configured cluster that is down) fail the suite.
 */
export async function engineOrSkip(ctx: Context): Promise<TestEngine> {
  ctx.timeout(ENGINE_START_TIMEOUT_MS);
  try {
    return await testEngine();
  } catch (err) {
    if (!isEngineUnavailable(err)) throw err;
    if (!reasonPrinted) {
      reasonPrinted = true;
      console.log(`\n      [engine] engine suites are pending on this machine:\n      ${err.message.split('\n').join('\n      ')}\n`);
    }
    ctx.skip();
    throw err; // not reached: skip() throws
  }
}
