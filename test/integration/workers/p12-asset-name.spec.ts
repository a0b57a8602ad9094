/**
 * P12 "Search asset" with a new asset whose name is taken (issue 18.13): a message back on the
 * form (VALIDATION, which the model routes back to "Search asset" with `refusal`), not a
 * technical failure that ends as an incident. Handlers on PostgreSQL.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { REGISTRATION_AUTHORITY_GROUP } from '../../../src/domain/authorization';
import { createAsset } from '../../../src/store/assets';
import { getCertificate } from '../../../src/store/certificates';
import { addGroupMember } from '../../../src/store/groups';
import { createEnrollHandlers } from '../../../workers/enroll';
import { runHandler, type AnyJobHandler } from '../../../workers/runtime';
import { aJob } from '../../support/jobs';
import { testCa } from '../ca/support';
import { aProfile, actor } from '../store/fixtures';

describe('P12 asset step: a new asset with a name that is taken (issue 18.13)', () => {
  let pool: Pool;
  let handlers: Map<string, AnyJobHandler>;

  before(async () => {
    const t = await testCa();
    pool = t.db.pool;
    handlers = new Map(createEnrollHandlers({ pool, ca: t.ca, sealer: t.masterKey, publicUrl: 'https://pki.example.test', secretLinkTtlMinutes: 10 }).map((h) => [h.type, h]));
    await addGroupMember(pool, REGISTRATION_AUTHORITY_GROUP, 'agent-p12name', 'test-suite');
  });

  it('when the new asset\'s name exists, then VALIDATION with a message for the form and nothing is related; a retried job that created the asset replays', async () => {
    const profile = await aProfile(pool, { protocol: 'P12' });
    const prep = await runHandler(handlers.get('enroll.prepare')!, { profileId: profile.id, requester: 'agent-p12name' }, aJob('enroll.prepare'));
    const certificateId = (prep as unknown as { variables: { certificateId: number } }).variables.certificateId;
    const existing = await createAsset(pool, { name: `taken-${crypto.randomBytes(3).toString('hex')}` }, actor);

    const out = await runHandler(handlers.get('enroll.attach-asset')!, { certificateId, newAssetName: existing.name, operator: 'agent-p12name' }, aJob('enroll.attach-asset'));
    expect(out).to.deep.include({ kind: 'error', errorCode: 'VALIDATION' });
    expect((out as { errorMessage: string }).errorMessage).to.contain(`'${existing.name}' exists already`);
    expect((await getCertificate(pool, certificateId)).assetId).to.equal(null);

    // The same job delivered twice: the second finds its own asset and answers as the first did.
    const job = aJob('enroll.attach-asset');
    const fresh = `fresh-${crypto.randomBytes(3).toString('hex')}`;
    const first = await runHandler(handlers.get('enroll.attach-asset')!, { certificateId, newAssetName: fresh, operator: 'agent-p12name' }, job);
    const again = await runHandler(handlers.get('enroll.attach-asset')!, { certificateId, newAssetName: fresh, operator: 'agent-p12name' }, job);
    expect(first.kind).to.equal('complete');
    expect(again).to.deep.equal(first);
  });
});
