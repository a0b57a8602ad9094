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
import { auditHistory } from '../../../src/store/audit';
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

  it('when a P12 enrollment without approval is deleted at "Confirm certificate installation", then DELETE answers 204, the enrollment is cancelled in the engine, its certificate is revoked in the store and at the CA (on the CRL), and its one-time link no longer opens (issue 18.3)', async () => {
    const profile = await aProfile(pool, { protocol: 'P12', extendedKeyUsage: ['clientAuth'] });
    const asset = await createAsset(pool, { name: `p12-del-${Date.now()}`, commonName: 'deleted.corp.example.com' }, actor);
    const pik = await enroll({ profileId: profile.id, assetId: asset.id });
    const sub = await child(pik, 'AssetsSubProcEnrollP12Profile');
    await complete(sub, 'Task_CertificateData', 'operator', { commonName: 'deleted.corp.example.com', nextAction: 'next' });
    await complete(sub, 'Task_Password', 'operator', { passwordConfirmed: true });
    await waitForUserTask(engine.api, { processInstanceKey: sub, state: 'CREATED', elementId: 'Task_ConfirmInstallation' });
    const linkId = String((await waitForVariables(engine.api, sub, ['secretLinkId'])).secretLinkId);
    const certId = await certificateOf(asset.id);
    const cert = await getCertificate(pool, certId);
    expect(cert.state).to.equal('Valid');
    const requestId = (await pool.query<{ id: number }>('SELECT id FROM requests WHERE certificate_id = $1', [certId])).rows[0]!.id;

    const api = await testApi();
    const deleted = await fetch(`${api.base}/api/requests/${requestId}`, { method: 'DELETE', headers: api.basic('operator') });
    expect(deleted.status, await deleted.text()).to.equal(204);
    await waitForProcessInstanceState(engine.api, pik, 'CANCELED', { timeoutMs: 60_000 });
    await waitForProcessInstanceState(engine.api, sub, 'CANCELED', { timeoutMs: 60_000 });
    expect((await getCertificate(pool, certId)).state).to.equal('Cessation of operation');
    expect(await ca.status(cert.serial!)).to.include({ status: 'revoked', reason: 'cessationOfOperation' });
    const crl = await openssl(['crl', '-in', tmpFile('crl.pem', (await ca.currentCrl()).pem), '-noout', '-text']);
    expect(crl.out.toUpperCase().replace(/[^0-9A-Z\n ]/g, '')).to.contain(cert.serial!.toUpperCase()).and.contain('CESSATION OF OPERATION');
    const history = await auditHistory(pool, 'certificate', certId);
    expect(history.pop()).to.include({ toState: 'Cessation of operation', actor: 'operator' });
    expect((await fetch(`${api.base}/api/secret-links/${linkId}`, { method: 'POST', headers: api.basic('operator') })).status, 'the link of a deleted request').to.equal(410);
  });

  /** The facts the approver's form shows ("Approve request" of the approval under `sub`), as label: value lines. */
  async function approverFacts(sub: string) {
    const approval = await child(sub, 'AssetsProcApproval');
    const vars = await waitForVariables(engine.api, approval, ['requestFacts', 'requestSummary']);
    await waitForUserTask(engine.api, { processInstanceKey: approval, state: 'CREATED', elementId: 'Task_ApproveRequest' });
    const facts = (vars.requestFacts as Array<{ label: string; value: string }>).map((f) => `${f.label}: ${f.value}`);
    return { approval, facts };
  }

  it('when a P10 profile requires approval, then nothing is sent for approval before the CSR is in, and the approver sees the CN and DNS names to be issued; approved, the certificate is Valid (issue 18.2)', async () => {
    const profile = await aProfile(pool, { protocol: 'P10', allowedDnsSuffixes: ['corp.example.com'], enrollmentApprovalRequired: true });
    const asset = await createAsset(pool, { name: `p10a-${Date.now()}`, commonName: 'old.corp.example.com' }, actor);
    const pik = await enroll({ profileId: profile.id, assetId: asset.id });
    const sub = await child(pik, 'AssetsSubProcEnrollP10Profile');
    await waitForUserTask(engine.api, { processInstanceKey: sub, state: 'CREATED', elementId: 'Task_UploadCsr' });
    const requestOf = async () => (await pool.query<{ id: number; state: string }>('SELECT r.id, r.state FROM requests r JOIN certificates c ON c.id = r.certificate_id WHERE c.asset_id = $1', [asset.id])).rows[0]!;
    expect((await requestOf()).state, 'sent for approval before anything was entered').to.equal('Registered');
    const csr = buildCsr({ keyPair: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), commonName: 'web.corp.example.com', dnsNames: ['web.corp.example.com', 'api.corp.example.com'] });
    await complete(sub, 'Task_UploadCsr', 'operator', { csr: `-----BEGIN CERTIFICATE REQUEST-----\n${csr.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`, nextAction: 'next' });
    await complete(sub, 'Task_EditRequest', 'operator', { commonName: 'web.corp.example.com', dnsNames: 'web.corp.example.com, api.corp.example.com', nextAction: 'next' });
    const { approval, facts } = await approverFacts(sub);
    expect(facts).to.include('Common Name: web.corp.example.com');
    expect(facts).to.include('Dns Names: web.corp.example.com, api.corp.example.com');
    expect(facts.some((f) => f.startsWith('Subject:') && f.includes('CN=web.corp.example.com'))).to.equal(true);
    expect((await requestOf()).state).to.equal('Requested');
    await complete(approval, 'Task_ApproveRequest', 'agent2', { decision: 'approve' });
    await complete(sub, 'Task_Download', 'operator', {});
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    const cert = await getCertificate(pool, await certificateOf(asset.id));
    expect(cert.state).to.equal('Valid');
    expect((await openssl(['x509', '-in', tmpFile('a.pem', cert.pem!), '-noout', '-ext', 'subjectAltName'])).out).to.contain('api.corp.example.com');
    expect((await requestOf()).state).to.equal('Completed');
  });

  it('when an ACME profile requires approval, then the data is entered and checked first (no DNS name: refused on the form), the approver sees it, and a rejection leaves the certificate object Rejected (issues 18.2, 18.4)', async () => {
    const profile = await aProfile(pool, { protocol: 'ACME', keyAlgorithm: 'EC', minKeySize: 256, enrollmentApprovalRequired: true, allowedDnsSuffixes: ['corp.example.com'] });
    const asset = await createAsset(pool, { name: `acme-${Date.now()}`, commonName: 'acme.corp.example.com' }, actor);
    const pik = await enroll({ profileId: profile.id, assetId: asset.id });
    const sub = await child(pik, 'AssetsSubProcEnrollACMEProfile');
    // No DNS name: "Check certificate data" refuses, back on the form with the reason (the DNS field is shown for ACME).
    await complete(sub, 'Task_CertificateData', 'operator', { commonName: 'acme.corp.example.com', dnsNames: '', nextAction: 'next' });
    await pollUntil('the refusal on the data form', async () => {
      const vars = await processInstanceVariables(engine.api, sub);
      return String(vars.refusal ?? '').includes('at least one DNS name') ? true : undefined;
    });
    expect((await engine.api.searchProcessInstances({ parentProcessInstanceKey: sub })).length, 'sent for approval with no DNS name').to.equal(0);
    await complete(sub, 'Task_CertificateData', 'operator', { commonName: 'acme.corp.example.com', dnsNames: 'acme.corp.example.com, www.corp.example.com', nextAction: 'next' });
    const { approval, facts } = await approverFacts(sub);
    expect(facts).to.include('Dns Names: acme.corp.example.com, www.corp.example.com');
    await complete(approval, 'Task_ApproveRequest', 'agent2', { decision: 'reject', rejectionReason: 'not needed' });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    expect((await getCertificate(pool, await certificateOf(asset.id))).state).to.equal('Rejected');
  });

  it('when an ACME profile has no domain policy, then the enrollment is refused at its first step with the reason, on the profile\'s history, and no incident (issue 18.4)', async () => {
    const profile = await aProfile(pool, { protocol: 'ACME', keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['clientAuth'], allowedDnsSuffixes: ['corp.example.com'] });
    // As stored before ACME profiles were checked for a policy.
    await pool.query("UPDATE certificate_profiles SET allowed_dns_suffixes = '{}' WHERE id = $1", [profile.id]);
    const pik = await enroll({ profileId: profile.id, assetId: null });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    const vars = await waitForVariables(engine.api, pik, ['refusal']);
    expect(String(vars.refusal)).to.contain('has no domain policy');
    const history = await auditHistory(pool, 'certificate profile', profile.id);
    expect(history.some((h) => h.reason?.includes('Enroll profile refused') && h.reason.includes('has no domain policy'))).to.equal(true);
  });

  it('when the profile is unknown, then the enrollment ends refused (not an incident) and the asset\'s history says why (issue 18.8)', async () => {
    const asset = await createAsset(pool, { name: `nf-${Date.now()}` }, actor);
    const pik = await enroll({ profileId: 999999999, assetId: asset.id });
    await waitForProcessInstanceState(engine.api, pik, 'COMPLETED');
    const [instance] = await engine.api.searchProcessInstances({ processInstanceKey: pik });
    expect(instance!.hasIncident).to.not.equal(true);
    expect(String((await waitForVariables(engine.api, pik, ['refusal'])).refusal)).to.match(/certificate profile 999999999/);
    const history = await auditHistory(pool, 'asset', asset.id);
    expect(history.some((h) => h.reason?.startsWith('Enroll profile refused') && h.processInstanceKey === pik)).to.equal(true);
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
