/**
 * AssetsProcAssignProfile (issue 18.10; spec 000, asset 'Pending': "A valid certificate profile
 * must be assigned by using a dedicated process to change the state back to 'Active'"): the
 * operator picks an Active certificate profile for a Pending asset; the asset gets it and becomes
 * Active again, with a history row naming the profile.
 */
import { z } from 'zod';
import type { Pool } from 'pg';
import { DomainError } from '../src/domain/errors';
import { assignProfile, getAsset } from '../src/store/assets';
import { assertRequesterMayStart } from '../src/store/authorization';
import { applyOnce } from '../src/store/effects';
import { getOptions } from '../src/store/options';
import { searchProfiles } from '../src/store/profiles';
import type { CompletedTaskSource } from './approval';
import { assertCompletedByPermitted } from './completed-by';
import { withRefusalOnHistory } from './refusals';
import { BpmnError, defineHandler } from './runtime';

export interface AssetDeps {
  pool: Pool;
  completedTasks: CompletedTaskSource;
}

export const ASSIGN_PROFILE = 'AssetsProcAssignProfile';
const LABEL = 'Assign certificate profile';

const id = z.coerce.number().int().positive();

export function createAssetHandlers({ pool, completedTasks }: AssetDeps) {
  /** Start: who may, whether an admin left it enabled, the asset Pending; the Active profiles for the form. */
  const check = defineHandler({
    type: 'assets.check-assign-profile',
    input: z.object({ assetId: id, operator: z.string().min(1), requesterEmail: z.string().nullish() }),
    output: z.object({ assetName: z.string(), profileOptions: z.array(z.object({ label: z.string(), value: z.string() })) }),
    async handle({ assetId, operator, requesterEmail }, job) {
      return withRefusalOnHistory(pool, job, { objectType: 'asset', objectId: assetId, label: LABEL }, operator, async () => {
        await assertRequesterMayStart(pool, { requester: operator, requesterEmail }, ASSIGN_PROFILE, 'asset', assetId);
        if (!(await getOptions(pool, ASSIGN_PROFILE)).enabled) throw new BpmnError('USE_CASE_DISABLED', `${LABEL} is disabled by an admin`);
        const asset = await getAsset(pool, assetId);
        if (asset.state !== 'Pending') {
          throw new BpmnError('STATE_CONFLICT', `asset ${asset.name} is '${asset.state}': a profile is assigned only to a Pending asset`);
        }
        const profiles = await searchProfiles(pool, { state: 'Active', limit: 100 });
        if (profiles.items.length === 0) throw new BpmnError('STATE_CONFLICT', 'there is no Active certificate profile to assign');
        return {
          assetName: asset.name,
          profileOptions: profiles.items.map((p) => ({ label: `${p.name} (${p.protocol})`, value: String(p.id) })),
        };
      });
    },
  });

  /**
   * Assigns the chosen profile: asset 'Pending' → 'Active'. A profile that is no longer Active (or
   * an asset changed meanwhile) is a STATE_CONFLICT the model takes back to the form with the reason.
   */
  const assign = defineHandler({
    type: 'assets.assign-profile',
    input: z.object({ assetId: id, profileId: id, operator: z.string().min(1) }),
    output: z.object({ assetState: z.literal('Active'), assignedProfileId: z.number() }),
    async handle({ assetId, profileId, operator }, job) {
      await assertCompletedByPermitted(pool, completedTasks, job, { elementId: 'Task_ChooseProfile', label: LABEL, requester: operator, useCase: ASSIGN_PROFILE, kind: 'asset', objectId: assetId });
      try {
        const { result } = await applyOnce(pool, `${job.key}:assign-profile`, 'assets.assign-profile', async (tx) => {
          const asset = await assignProfile(tx, assetId, profileId, { actor: operator, processInstanceKey: job.processInstanceKey });
          return { assetState: 'Active' as const, assignedProfileId: asset.profileId! };
        });
        return result;
      } catch (err) {
        if (err instanceof DomainError && err.code === 'STATE_CONFLICT') throw new BpmnError('STATE_CONFLICT', err.message);
        throw err;
      }
    },
  });

  return [check, assign];
}
