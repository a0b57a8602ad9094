/**
 * AssetsProcAssignProfile (issue 18.10) on the engine, started through the API as the console
 * does, with the application's workers and PostgreSQL: a Pending asset gets an Active profile and
 * is Active again; Cancel changes nothing; a profile made inactive meanwhile comes back to the
 * form with the reason. An engine suite.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { processInstanceVariables, waitForProcessInstanceState } from '../../../src/engine/user-tasks';
import { getAsset, transitionAsset } from '../../../src/store/assets';
import { transitionProfile } from '../../../src/store/profiles';
import { testApi, type TestApi } from '../../support/api';
import { appEngine } from '../../support/app-engine';
import type { TestEngine } from '../../support/engine';
import { taskDriver } from '../../support/task-driver';
import { testCa } from '../ca/support';
import { anAsset, aProfile, actor } from '../store/fixtures';

describe('process: assign certificate profile to a Pending asset (engine, issue 18.10)', function () {
  this.timeout(180_000);
  let engine: TestEngine;
  let pool: Pool;
  let api: TestApi;
  const { complete } = taskDriver(() => engine);

  before(async function () {
    engine = await appEngine(this);
    api = await testApi();
    pool = (await testCa()).db.pool;
  });

  async function startOnPendingAsset() {
    const asset = await anAsset(pool);
    await transitionAsset(pool, asset.id, 'Pending', actor);
    const res = await fetch(`${api.base}/api/assets/${asset.id}/use-cases/AssetsProcAssignProfile`, { method: 'POST', headers: { ...api.basic('operator', 'operator'), 'content-type': 'application/json' }, body: '{}' });
    expect(res.status, await res.clone().text()).to.equal(201);
    const { processInstanceKey } = (await res.json()) as { processInstanceKey: string };
    return { asset, pik: processInstanceKey };
  }

  it('when the operator assigns an Active profile, then the asset is Active with it', async () => {
    const profile = await aProfile(pool);
    const { asset, pik } = await startOnPendingAsset();
    await complete(pik, 'Task_ChooseProfile', 'operator', { nextAction: 'next', profileId: String(profile.id) });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    expect(await getAsset(pool, asset.id)).to.include({ state: 'Active', profileId: profile.id });
  });

  it('when the chosen profile was made Inactive meanwhile, then the form comes back with the reason; Cancel then leaves the asset Pending', async () => {
    const profile = await aProfile(pool);
    const { asset, pik } = await startOnPendingAsset();
    await transitionProfile(pool, profile.id, 'Inactive', actor);
    await complete(pik, 'Task_ChooseProfile', 'operator', { nextAction: 'next', profileId: String(profile.id) });
    await complete(pik, 'Task_ChooseProfile', 'operator', { nextAction: 'cancel' });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    expect(String((await processInstanceVariables(engine.api, pik)).refusal)).to.contain(`${profile.name} is 'Inactive'`);
    expect(await getAsset(pool, asset.id)).to.include({ state: 'Pending', profileId: null });
  });
});
