/**
 * AssetsProcEnrollProfile with its P10, P12, ACME and SCEP sub-processes on the engine with the
 * application's workers, PostgreSQL and the built-in CA. An engine suite.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Pool } from 'pg';
import type { BuiltinCa } from '../../../src/ca/builtin-ca';
import { buildCsr } from '../../../src/ca/csr-builder';
import { instanceTreeVariables, pollUntil, processInstanceVariables, waitForVariables, waitForProcessInstanceState, waitForUserTask } from '../../../src/engine/user-tasks';
import { createAsset } from '../../../src/store/assets';
import { getCertificate } from '../../../src/store/certificates';
import { testApi } from '../../support/api';
import { appEngine } from '../../support/app-engine';
import { taskDriver } from '../../support/task-driver';
import type { TestEngine } from '../../support/engine';
import { openssl, testCa, tmpFile, verifyWithChain } from '../ca/support';
import { aProfile, actor } from '../store/fixtures';

describe('processes: enroll profile (engine)', function () {
  this.timeout(240_000);
  let engine: TestEngine;
  let pool: Pool;
  let ca: BuiltinCa;
  const finished: string[] = [];
  const secrets: string[] = [];

  before(async function () {
    engine = await appEngine(this);
    const t = await testCa();
    ({ ca } = t);
    pool = t.db.pool;
  });

  const { complete, child } = taskDriver(() => engine);
  async function enroll(variables: Record<string, unknown>) {
    const r = await engine.clients.rest.createProcessInstance({ processDefinitionId: 'AssetsProcEnrollProfile', variables: { requester: 'operator', requesterEmail: 'operator@example.test', ...variables } });
    const key = String(r.processInstanceKey);
    finished.push(key);
    return key;
  }
  const certificateOf = async (assetId: number) => (await pool.query<{ id: number }>('SELECT id FROM certificates WHERE asset_id = $1 ORDER BY id DESC LIMIT 1', [assetId])).rows[0]!.id;

  after(async function () {
    if (!engine) return;
    for (const key of finished) {
      // Every variable of the instance and of every instance it called, as the engine stores them.
      const vars = JSON.stringify(await instanceTreeVariables(engine.api, key));
      for (const s of secrets) expect(vars, `instance ${key} holds a secret`).to.not.contain(s);
      expect(vars).to.not.contain('PRIVATE KEY');
      expect(vars, `instance ${key} holds a one-time link token`).to.not.match(/\/api\/secrets\//i);
    }
  });

  it('when a P10 profile with a domain policy is enrolled on an asset, then a bad CSR and a DNS name outside the policy are refused on their forms, corrected, and the certificate is Valid', async () => {
    const profile = await aProfile(pool, { protocol: 'P10', allowedDnsSuffixes: ['corp.example.com'] });
    const asset = await createAsset(pool, { name: `p10-${Date.now()}`, commonName: 'p10.corp.example.com', dnsNames: ['p10.corp.example.com'] }, actor);
    const pik = await enroll({ profileId: profile.id, assetId: asset.id });
    const sub = await child(pik, 'AssetsSubProcEnrollP10Profile');
    const pem = (der: Buffer) => `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    // A CSR whose signature does not match its key: refused, back on the upload form with the reason.
    const forged = buildCsr({ keyPair: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), commonName: 'p10.corp.example.com' });
    forged[forged.length - 5]! ^= 0xff;
    await complete(sub, 'Task_UploadCsr', 'operator', { csr: pem(forged), nextAction: 'next' });
    await pollUntil('the refusal on the upload form', async () => {
      const vars = await processInstanceVariables(engine.api, sub);
      const open = await engine.api.searchUserTasks({ processInstanceKey: sub, state: 'CREATED', elementId: 'Task_UploadCsr' });
      return open.length > 0 && typeof vars.refusal === 'string' ? true : undefined;
    });
    const good = buildCsr({ keyPair: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), commonName: 'p10.corp.example.com', dnsNames: ['p10.corp.example.com'] });
    await complete(sub, 'Task_UploadCsr', 'operator', { csr: pem(good), nextAction: 'next' });
    // A DNS name outside corp.example.com on the edit form: the CA refuses, back to the edit form.
    await complete(sub, 'Task_EditRequest', 'operator', { commonName: 'p10.corp.example.com', dnsNames: 'p10.example.net', nextAction: 'next' });
    await pollUntil('the policy refusal on the edit form', async () => {
      const vars = await processInstanceVariables(engine.api, sub);
      return String(vars.refusal ?? '').includes('p10.example.net') ? true : undefined;
    });
    await complete(sub, 'Task_EditRequest', 'operator', { commonName: 'p10.corp.example.com', dnsNames: 'p10.corp.example.com, www.corp.example.com', nextAction: 'next' });
    await complete(sub, 'Task_Download', 'operator', {});
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    const cert = await getCertificate(pool, await certificateOf(asset.id));
    expect(cert.state).to.equal('Valid');
    expect((await verifyWithChain(cert.pem!, await ca.caCertificates())).code).to.equal(0);
    expect((await openssl(['x509', '-in', tmpFile('e.pem', cert.pem!), '-noout', '-ext', 'subjectAltName'])).out).to.contain('www.corp.example.com');
  });

  it('when a P12 profile is enrolled, then the process holds only the secret\'s id, and the requester, signed in, gets the PKCS#12 with its password once (issue 17.7)', async () => {
    const profile = await aProfile(pool, { protocol: 'P12', extendedKeyUsage: ['clientAuth'] });
    const asset = await createAsset(pool, { name: `p12-${Date.now()}`, commonName: 'laptop.corp.example.com' }, actor);
    const pik = await enroll({ profileId: profile.id, assetId: asset.id });
    const sub = await child(pik, 'AssetsSubProcEnrollP12Profile');
    await complete(sub, 'Task_CertificateData', 'operator', { commonName: 'laptop.corp.example.com', nextAction: 'next' });
    await waitForUserTask(engine.api, { processInstanceKey: sub, state: 'CREATED', elementId: 'Task_Password' });
    const vars = await waitForVariables(engine.api, sub, ['secretLinkId', 'secretLinkPageUrl']);
    const id = String(vars.secretLinkId);
    expect(vars).to.not.have.property('secretLinkUrl');
    expect(new URL(String(vars.secretLinkPageUrl)).pathname).to.equal(`/api/secret-links/${id}`);
    // The page the form links to, through the API as the requester signs in to it.
    const api = await testApi();
    const page = await fetch(`${api.base}/api/secret-links/${id}`, { headers: { ...api.basic('operator'), accept: 'text/html' } });
    expect(page.status).to.equal(200);
    expect(await page.text()).to.contain('<form method="post">');
    expect((await fetch(`${api.base}/api/secret-links/${id}`, { method: 'POST', headers: api.basic('agent1') })).status, 'another user').to.equal(404);
    const res = await fetch(`${api.base}/api/secret-links/${id}`, { method: 'POST', headers: { ...api.basic('operator'), accept: 'application/json' } });
    expect(res.status).to.equal(200);
    const { password, pkcs12 } = (await res.json()) as { password: string; pkcs12: string };
    secrets.push(password);
    expect((await openssl(['pkcs12', '-info', '-noout', '-in', tmpFile('e.p12', Buffer.from(pkcs12, 'base64')), '-passin', `pass:${password}`])).code).to.equal(0);
    expect((await fetch(`${api.base}/api/secret-links/${id}`, { method: 'POST', headers: api.basic('operator') })).status, 'a second time').to.equal(410);
    await complete(sub, 'Task_Password', 'operator', { passwordConfirmed: true });
    await complete(sub, 'Task_ConfirmInstallation', 'operator', { installationConfirmed: true });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    expect((await getCertificate(pool, await certificateOf(asset.id))).state).to.equal('Valid');
  });

  it('when the profile requires approval and it is rejected, then the certificate object is Rejected and the process ends', async () => {
    const profile = await aProfile(pool, { protocol: 'ACME', keyAlgorithm: 'EC', minKeySize: 256, enrollmentApprovalRequired: true });
    const asset = await createAsset(pool, { name: `acme-${Date.now()}`, commonName: 'acme.corp.example.com' }, actor);
    const pik = await enroll({ profileId: profile.id, assetId: asset.id });
    const approval = await child(pik, 'AssetsProcApproval');
    await complete(approval, 'Task_ApproveRequest', 'agent2', { decision: 'reject', rejectionReason: 'not needed' });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    expect((await getCertificate(pool, await certificateOf(asset.id))).state).to.equal('Rejected');
  });

  it('when a SCEP registration is cancelled, then the request is Failed and nothing was registered', async () => {
    const profile = await aProfile(pool, { protocol: 'SCEP' });
    const asset = await createAsset(pool, { name: `scep-${Date.now()}` }, actor);
    const pik = await enroll({ profileId: profile.id, assetId: asset.id });
    const sub = await child(pik, 'AssetsSubProcEnrollSCEPRegistration');
    await complete(sub, 'Task_CertificateData', 'operator', { nextAction: 'cancel' });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    const certId = await certificateOf(asset.id);
    expect((await getCertificate(pool, certId)).state).to.equal('Rejected');
    const { rows } = await pool.query('SELECT state, failure_reason FROM requests WHERE certificate_id = $1', [certId]);
    expect(rows[0]).to.deep.include({ state: 'Failed', failure_reason: 'cancelled by operator' });
  });
});
