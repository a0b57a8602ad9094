/**
 * Re-enrollment supersedes (issue 18.12, spec 000 "Superseded"): enrolling an asset again on the
 * same certificate profile ends its earlier certificate — revoked at the CA with reason superseded
 * and 'Superseded' in the store, with history. Handlers on PostgreSQL and the built-in CA.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import type { BuiltinCa } from '../../../src/ca/builtin-ca';
import { buildCsr } from '../../../src/ca/csr-builder';
import { REGISTRATION_AUTHORITY_GROUP } from '../../../src/domain/authorization';
import { auditHistory } from '../../../src/store/audit';
import { createAsset } from '../../../src/store/assets';
import { getCertificate } from '../../../src/store/certificates';
import { addGroupMember } from '../../../src/store/groups';
import { createEnrollHandlers } from '../../../workers/enroll';
import { runHandler, type AnyJobHandler } from '../../../workers/runtime';
import { aJob } from '../../support/jobs';
import { testCa } from '../ca/support';
import { aProfile, actor } from '../store/fixtures';

describe('re-enrollment supersedes the earlier certificate (issue 18.12)', () => {
  let pool: Pool;
  let ca: BuiltinCa;
  let handlers: Map<string, AnyJobHandler>;
  const ok = async (type: string, vars: Record<string, unknown>) => {
    const o = await runHandler(handlers.get(type)!, vars, aJob(type));
    if (o.kind !== 'complete') throw new Error(`${type}: ${JSON.stringify(o)}`);
    return o.variables as Record<string, any>;
  };

  before(async () => {
    const t = await testCa();
    ({ ca } = t);
    pool = t.db.pool;
    handlers = new Map(createEnrollHandlers({ pool, ca, sealer: t.masterKey, publicUrl: 'https://pki.example.test', secretLinkTtlMinutes: 10 }).map((h) => [h.type, h]));
    await addGroupMember(pool, REGISTRATION_AUTHORITY_GROUP, 'agent-supersede', 'test-suite');
  });

  async function enrollP10(profileId: number, assetId: number, commonName: string): Promise<number> {
    const prep = await ok('enroll.prepare', { profileId, assetId, requester: 'agent-supersede' });
    const der = buildCsr({ keyPair: crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), commonName, dnsNames: [commonName] });
    const csr = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await ok('enroll.p10.issue', { certificateId: prep.certificateId, requestId: prep.requestId, csr, dnsNames: commonName, operator: 'agent-supersede' });
    return prep.certificateId;
  }

  it('when an asset is enrolled again on the same profile, then its earlier certificate is Superseded in the store and revoked (superseded) at the CA; one of another profile stays Valid', async () => {
    const name = `re-${crypto.randomBytes(3).toString('hex')}.corp.example.com`;
    const asset = await createAsset(pool, { name, commonName: name, dnsNames: [name] }, actor);
    const profile = await aProfile(pool, { keyAlgorithm: 'EC', minKeySize: 256, allowedDnsSuffixes: ['corp.example.com'] });
    const other = await aProfile(pool, { keyAlgorithm: 'EC', minKeySize: 256, allowedDnsSuffixes: ['corp.example.com'] });

    const first = await enrollP10(profile.id, asset.id, name);
    const sideBySide = await enrollP10(other.id, asset.id, name);
    expect((await getCertificate(pool, first)).state, 'another profile does not replace it').to.equal('Valid');

    const second = await enrollP10(profile.id, asset.id, name);
    const old = await getCertificate(pool, first);
    expect(old.state).to.equal('Superseded');
    expect(await ca.status(old.serial!)).to.include({ status: 'revoked', reason: 'superseded' });
    expect((await auditHistory(pool, 'certificate', first)).at(-1)).to.include({ fromState: 'Valid', toState: 'Superseded', actor: 'agent-supersede' });
    expect((await auditHistory(pool, 'certificate', first)).at(-1)!.reason).to.contain(`certificate ${second}`);
    expect((await getCertificate(pool, second)).state).to.equal('Valid');
    expect((await getCertificate(pool, sideBySide)).state).to.equal('Valid');
  });
});
