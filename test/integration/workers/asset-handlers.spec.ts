/**
 * Assign certificate profile (AssetsProcAssignProfile, issue 18.10; spec 000: a Pending asset goes
 * back to Active only when a valid certificate profile is assigned by a dedicated process): its
 * handlers on real PostgreSQL, called as the engine calls them. The BPMN is run on the engine in
 * test/integration/processes/assign-profile.spec.ts.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createAssetHandlers } from '../../../workers/assets';
import { runHandler, type AnyJobHandler, type JobOutcome } from '../../../workers/runtime';
import { auditHistory } from '../../../src/store/audit';
import { getAsset, transitionAsset } from '../../../src/store/assets';
import { transitionProfile } from '../../../src/store/profiles';
import { updateOptions } from '../../../src/store/options';
import { addGroupMember } from '../../../src/store/groups';
import { REGISTRATION_AUTHORITY_GROUP } from '../../../src/domain/authorization';
import { testDatabase } from '../../support/database';
import { aJob } from '../../support/jobs';
import { anAsset, aProfile, actor } from '../store/fixtures';

describe('assign certificate profile handlers (issue 18.10) on PostgreSQL', () => {
  let pool: Pool;
  let handlers: Map<string, AnyJobHandler>;
  let completedBy = 'ra-assign';
  const run = (type: string, vars: Record<string, unknown>): Promise<JobOutcome> => runHandler(handlers.get(type)!, vars, aJob(type));

  before(async () => {
    pool = (await testDatabase()).pool;
    await addGroupMember(pool, REGISTRATION_AUTHORITY_GROUP, 'ra-assign', 'test-suite');
    handlers = new Map(createAssetHandlers({ pool, completedTasks: { lastCompleted: async () => ({ userTaskKey: '1', completedBy }) } }).map((h) => [h.type, h]));
  });

  async function aPendingAsset() {
    const asset = await anAsset(pool);
    await transitionAsset(pool, asset.id, 'Pending', actor);
    return asset;
  }

  it('when an Active profile is assigned to a Pending asset, then the asset is Active with that profile, and its history names the profile and the operator', async () => {
    const asset = await aPendingAsset();
    const profile = await aProfile(pool);
    const checked = await run('assets.check-assign-profile', { assetId: asset.id, requester: 'ra-assign', operator: 'ra-assign' });
    expect(checked.kind).to.equal('complete');
    const options = (checked as unknown as { variables: { assetName: string; profileOptions: Array<{ value: string }> } }).variables;
    expect(options.assetName).to.equal(asset.name);
    expect(options.profileOptions.map((o) => o.value)).to.include(String(profile.id));

    // The form's select gives the id as text.
    const done = await run('assets.assign-profile', { assetId: asset.id, profileId: String(profile.id), operator: 'ra-assign' });
    expect(done).to.deep.include({ kind: 'complete', variables: { assetState: 'Active', assignedProfileId: profile.id } });
    expect(await getAsset(pool, asset.id)).to.include({ state: 'Active', profileId: profile.id });
    const last = (await auditHistory(pool, 'asset', asset.id)).at(-1)!;
    expect(last).to.include({ fromState: 'Pending', toState: 'Active', actor: 'ra-assign' });
    expect(last.reason).to.contain(profile.name);
  });

  it('when the chosen profile is Inactive, then STATE_CONFLICT says so (the model goes back to the form) and the asset stays Pending', async () => {
    const asset = await aPendingAsset();
    const profile = await aProfile(pool);
    await transitionProfile(pool, profile.id, 'Inactive', actor);
    const out = await run('assets.assign-profile', { assetId: asset.id, profileId: profile.id, operator: 'ra-assign' });
    expect(out).to.include({ kind: 'error', errorCode: 'STATE_CONFLICT' });
    expect((out as { errorMessage: string }).errorMessage).to.contain(`${profile.name} is 'Inactive'`);
    expect(await getAsset(pool, asset.id)).to.include({ state: 'Pending', profileId: null });
  });

  it('when the asset is not Pending, or the use case is disabled, then the check refuses and writes why to the asset\'s history', async () => {
    const active = await anAsset(pool);
    const out = await run('assets.check-assign-profile', { assetId: active.id, operator: 'ra-assign' });
    expect(out).to.include({ kind: 'error', errorCode: 'STATE_CONFLICT' });
    expect((await auditHistory(pool, 'asset', active.id)).at(-1)!.reason).to.match(/Assign certificate profile refused: .*'Active'/);

    const pending = await aPendingAsset();
    await updateOptions(pool, 'AssetsProcAssignProfile', { enabled: false }, 'demo');
    try {
      expect(await run('assets.check-assign-profile', { assetId: pending.id, operator: 'ra-assign' })).to.include({ kind: 'error', errorCode: 'USE_CASE_DISABLED' });
    } finally {
      await updateOptions(pool, 'AssetsProcAssignProfile', { enabled: true }, 'demo');
    }
  });

  it('when someone who is neither the owner nor a registration authority completed the form, then nothing is assigned', async () => {
    const asset = await aPendingAsset();
    const profile = await aProfile(pool);
    completedBy = 'mallory';
    try {
      const out = await run('assets.assign-profile', { assetId: asset.id, profileId: profile.id, operator: 'ra-assign' });
      // FORBIDDEN: no model catches it; the instance stops with an incident naming who may.
      expect(out).to.include({ kind: 'error', errorCode: 'FORBIDDEN' });
    } finally {
      completedBy = 'ra-assign';
    }
    expect((await getAsset(pool, asset.id)).state).to.equal('Pending');
  });
});
