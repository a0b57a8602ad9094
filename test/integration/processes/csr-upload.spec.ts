/**
 * A P10 enrollment's CSR uploaded as a file through the API (issue 18.13), on the engine with
 * the application's workers, PostgreSQL and the built-in CA: started through the API, the CSR
 * made by openssl as a server makes it, uploaded as DER (fetch, application/pkcs10) and as PEM
 * (the README's curl command, multipart), the process goes on to issuance and the certificate
 * object is Valid with a certificate for that key that openssl verifies. A bad file and a caller
 * who may not are refused and the task stays open. An engine suite.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Pool } from 'pg';
import type { BuiltinCa } from '../../../src/ca/builtin-ca';
import { demoUser } from '../../../src/engine/identity';
import { pollUntil, waitForProcessInstanceState } from '../../../src/engine/user-tasks';
import { createAsset } from '../../../src/store/assets';
import { getCertificate } from '../../../src/store/certificates';
import { getRequest } from '../../../src/store/requests';
import { testApi, type TestApi } from '../../support/api';
import { appEngine } from '../../support/app-engine';
import type { TestEngine } from '../../support/engine';
import { taskDriver } from '../../support/task-driver';
import { openssl, testCa, tmpFile, verifyWithChain } from '../ca/support';
import { aProfile, actor } from '../store/fixtures';

const run = promisify(execFile);

interface CsrState {
  waiting: boolean;
  userTaskKey: string | null;
  assignee: string | null;
  forYou: boolean;
}

describe('processes: a P10 CSR uploaded as a file through the API (issue 18.13, engine)', function () {
  this.timeout(240_000);
  let engine: TestEngine;
  let api: TestApi;
  let pool: Pool;
  let ca: BuiltinCa;
  const started: string[] = [];

  before(async function () {
    engine = await appEngine(this);
    api = await testApi();
    const t = await testCa();
    ({ ca } = t);
    pool = t.db.pool;
  });
  after(async () => {
    for (const pik of started) await engine?.clients.rest.cancelProcessInstance({ processInstanceKey: pik }).catch(() => undefined);
  });

  const { complete, child } = taskDriver(() => engine);
  const as = (user: string) => api.basic(user, demoUser(user).password);

  /** Starts Enroll profile through the API as operator; resolves once "Upload CSR" waits, with the request and the P10 sub-process. */
  async function enrollThroughApi(name: string) {
    const profile = await aProfile(pool, { protocol: 'P10', allowedDnsSuffixes: ['corp.example.com'], enrollmentApprovalRequired: false });
    const asset = await createAsset(pool, { name: `${name}-${Date.now()}`, commonName: `${name}.corp.example.com`, dnsNames: [`${name}.corp.example.com`] }, actor);
    const res = await fetch(`${api.base}/api/assets/${asset.id}/use-cases/AssetsProcEnrollProfile`, {
      method: 'POST',
      headers: { ...as('operator'), 'content-type': 'application/json' },
      body: JSON.stringify({ profileId: profile.id }),
    });
    expect(res.status, await res.clone().text()).to.equal(201);
    const { processInstanceKey: pik } = (await res.json()) as { processInstanceKey: string };
    started.push(pik);
    const requestId = await pollUntil('the enrollment request', async () => (await pool.query<{ id: number }>('SELECT id FROM requests WHERE process_instance_key = $1', [pik])).rows[0]?.id, { timeoutMs: 60_000 });
    const state = await pollUntil('"Upload CSR" waiting', async () => {
      const s = await csrState(requestId, 'operator');
      return s.waiting ? s : undefined;
    }, { timeoutMs: 60_000 });
    expect(state).to.deep.include({ assignee: 'operator', forYou: true });
    return { pik, requestId, asset, sub: await child(pik, 'AssetsSubProcEnrollP10Profile'), userTaskKey: state.userTaskKey! };
  }

  async function csrState(requestId: number, user: string): Promise<CsrState> {
    const res = await fetch(`${api.base}/api/requests/${requestId}/csr`, { headers: as(user) });
    expect(res.status).to.equal(200);
    return (await res.json()) as CsrState;
  }

  /** A key and CSR made by openssl as a server makes them; `format` DER or PEM. */
  async function opensslCsr(cn: string, format: 'DER' | 'PEM') {
    const key = tmpFile('server.key', '');
    const csr = tmpFile(format === 'DER' ? 'server.der' : 'server.csr', '');
    const made = await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-outform', format, '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`]);
    expect(made.code, made.out).to.equal(0);
    return { key, csr };
  }

  /** The rest of the enrollment as in Tasklist, then: Valid, openssl verifies it, and it certifies the uploaded key. */
  async function finishAndVerify(e: { pik: string; sub: string; requestId: number }, cn: string, key: string) {
    await complete(e.sub, 'Task_EditRequest', 'operator', { commonName: cn, dnsNames: cn, nextAction: 'next' });
    await complete(e.sub, 'Task_Download', 'operator', {});
    await waitForProcessInstanceState(engine.api, e.pik, 'COMPLETED', { timeoutMs: 60_000 });
    const request = await getRequest(pool, e.requestId);
    expect(request.state).to.equal('Completed');
    const cert = await getCertificate(pool, request.certificateId!);
    expect(cert.state).to.equal('Valid');
    expect((await verifyWithChain(cert.pem!, await ca.caCertificates())).code).to.equal(0);
    const certKey = await openssl(['x509', '-in', tmpFile('issued.pem', cert.pem!), '-noout', '-pubkey']);
    const ownKey = await openssl(['pkey', '-in', key, '-pubout']);
    expect(certKey.out.trim(), 'the certificate is for the uploaded key').to.equal(ownKey.out.trim());
    expect((await openssl(['x509', '-in', tmpFile('issued.pem', cert.pem!), '-noout', '-subject'])).out).to.contain(cn);
  }

  it('when the CSR is uploaded as DER, then a bad file and another agent are refused with the task still open, the DER is taken, and the certificate is Valid for its key', async () => {
    const e = await enrollThroughApi('der');
    const cn = `${e.asset.name}.corp.example.com`.toLowerCase();
    const { key, csr } = await opensslCsr(cn, 'DER');
    const der = fs.readFileSync(csr);
    const post = (user: string, body: Buffer | string, type = 'application/pkcs10') =>
      fetch(`${api.base}/api/requests/${e.requestId}/csr`, { method: 'POST', headers: { ...as(user), 'content-type': type }, body });

    // A file that is no CSR: 400 with the reason, and "Upload CSR" is still the same open task.
    const bad = await post('operator', Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]));
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { detail: string }).detail).to.contain('not a valid certificate signing request');
    // An agent of the candidate group, while the task is assigned to its requester: 403, as in Tasklist.
    const other = await post('agent2', der);
    expect(other.status).to.equal(403);
    expect(((await other.json()) as { detail: string }).detail).to.contain('assigned to operator');
    expect((await csrState(e.requestId, 'agent2')).forYou).to.equal(false);
    const open = await engine.api.searchUserTasks({ processInstanceKey: e.sub, elementId: 'Task_UploadCsr' });
    expect(open.map((t) => [t.userTaskKey, t.state]), 'the task after the refusals').to.deep.equal([[e.userTaskKey, 'CREATED']]);

    const taken = await post('operator', der);
    const body = (await taken.json()) as { userTaskKey: string; subject: string; dnsNames: string[]; key: string };
    expect(taken.status, JSON.stringify(body)).to.equal(200);
    expect(body).to.deep.include({ userTaskKey: e.userTaskKey, dnsNames: [cn], key: 'RSA 2048 bits' });
    // Once taken, no second upload completes anything: 409.
    expect((await post('operator', der)).status).to.equal(409);
    // Completed as operator in the engine, with the CSR as PEM, as the form would have it.
    const done = await pollUntil('the completed upload task', async () => (await engine.api.searchUserTasks({ userTaskKey: e.userTaskKey }))
      .find((t) => t.state === 'COMPLETED'));
    expect(done.assignee).to.equal('operator');
    await finishAndVerify(e, cn, key);
  });

  it("when the CSR is uploaded as PEM with the README's curl command, then the certificate is Valid for its key", async () => {
    const e = await enrollThroughApi('pem');
    const cn = `${e.asset.name}.corp.example.com`.toLowerCase();
    const { key, csr } = await opensslCsr(cn, 'PEM');
    expect(fs.readFileSync(csr, 'utf8')).to.match(/^-----BEGIN CERTIFICATE REQUEST-----/);
    // README: curl -u operator -F csr=@server.csr http://localhost:3000/api/requests/<id>/csr (the password given here rather than asked).
    const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', '-u', `operator:${demoUser('operator').password}`, '-F', `csr=@${csr}`, `${api.base}/api/requests/${e.requestId}/csr`]);
    const [answer, status] = [stdout.slice(0, stdout.lastIndexOf('\n')), stdout.slice(stdout.lastIndexOf('\n') + 1)];
    expect(status, answer).to.equal('200');
    expect(JSON.parse(answer)).to.deep.include({ requestId: e.requestId, userTaskKey: e.userTaskKey });
    await finishAndVerify(e, cn, key);
  });
});
