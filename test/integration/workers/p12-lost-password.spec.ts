/**
 * P12 generation that finds its key made in an earlier attempt whose password is gone (issue
 * 18.12): the certificate nobody can have is revoked at the CA and the operator is sent back to
 * the certificate data (CA_REFUSED, which the model routes there), where Next makes a new key and
 * Cancel ends the enrollment — not an incident. Handlers on PostgreSQL and the built-in CA.
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import type { BuiltinCa } from '../../../src/ca/builtin-ca';
import { toCaProfile } from '../../../src/ca/store-profile';
import { REGISTRATION_AUTHORITY_GROUP } from '../../../src/domain/authorization';
import { getCertificate } from '../../../src/store/certificates';
import { addGroupMember } from '../../../src/store/groups';
import { getProfile } from '../../../src/store/profiles';
import { createEnrollHandlers } from '../../../workers/enroll';
import { runHandler, type AnyJobHandler } from '../../../workers/runtime';
import { aJob } from '../../support/jobs';
import { testCa } from '../ca/support';
import { aProfile } from '../store/fixtures';

describe('P12: a password lost in an earlier attempt (issue 18.12)', () => {
  let pool: Pool;
  let ca: BuiltinCa;
  let handlers: Map<string, AnyJobHandler>;

  before(async () => {
    const t = await testCa();
    ({ ca } = t);
    pool = t.db.pool;
    handlers = new Map(createEnrollHandlers({ pool, ca, sealer: t.masterKey, publicUrl: 'https://pki.example.test', secretLinkTtlMinutes: 10 }).map((h) => [h.type, h]));
    await addGroupMember(pool, REGISTRATION_AUTHORITY_GROUP, 'agent-p12lost', 'test-suite');
  });

  it('when the CA answers the job\'s key without the password, then CA_REFUSED back to the form, the lost certificate is revoked at the CA, and a new attempt issues', async () => {
    const profile = await aProfile(pool, { protocol: 'P12', keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'] });
    const prep = await runHandler(handlers.get('enroll.prepare')!, { profileId: profile.id, requester: 'agent-p12lost' }, aJob('enroll.prepare'));
    const { certificateId, requestId } = (prep as unknown as { variables: { certificateId: number; requestId: number } }).variables;
    const vars = { certificateId, requestId, commonName: 'lost-password', operator: 'agent-p12lost' };

    // An earlier attempt of this job generated the key outside its effect (a CA that does not roll back with the store), and its password went with it.
    const job = aJob('enroll.p12.generate');
    const earlier = await ca.generateKeyPair({ idempotencyKey: `${job.key}:p12`, profile: toCaProfile(await getProfile(pool, profile.id)), commonName: 'lost-password', dnsNames: [] });

    const out = await runHandler(handlers.get('enroll.p12.generate')!, vars, job);
    expect(out).to.deep.include({ kind: 'error', errorCode: 'CA_REFUSED' });
    expect((out as { variables: Record<string, unknown> }).variables.caErrorCode).to.equal('PKCS12_PASSWORD_LOST');
    expect((out as { errorMessage: string }).errorMessage).to.contain('Cancel');
    expect(await ca.status(earlier.serialNumber)).to.include({ status: 'revoked', reason: 'cessationOfOperation' });
    expect((await getCertificate(pool, certificateId)).state).to.equal('Certificate requested');

    // The same job again (a retry) answers the same; the operator's Next is a new job and issues.
    expect(await runHandler(handlers.get('enroll.p12.generate')!, vars, job)).to.deep.include({ kind: 'error', errorCode: 'CA_REFUSED' });
    const next = await runHandler(handlers.get('enroll.p12.generate')!, vars, aJob('enroll.p12.generate'));
    expect(next.kind).to.equal('complete');
    expect((await getCertificate(pool, certificateId)).state).to.equal('Valid');
  });
});
