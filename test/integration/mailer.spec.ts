import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createMailer } from '../../src/mail/mailer';
import { createPool } from '../../src/store/db';
import { createMailTransport } from '../../src/mail/transport';
import { renderMail } from '../../src/mail/templates';
import { listMigrations, migrate, MIGRATIONS_DIR } from '../../src/store/migrate';
import { testDatabase, withEmptyDatabase, type TestDatabase } from '../support/database';
import { testSmtp, type TestSmtp } from '../support/smtp';

const rejected = {
  requestId: 41,
  requester: 'agent1',
  requestTypeLabel: 'enrollment',
  objectLabel: 'asset web01',
  decidedBy: 'agent2',
  rejectionReason: 'DNS name <b>not</b> ours',
};

describe('mailer', () => {
  let pool: Pool;
  let db: TestDatabase;
  let smtp: TestSmtp;
  before(async () => {
    db = await testDatabase();
    pool = db.pool;
    smtp = await testSmtp();
  });

  it('when a mail job is delivered twice with the same key, then exactly one email is received', async () => {
    const mailer = createMailer(pool, createMailTransport({ smtpUrl: smtp.url, from: 'pki@example.test', captureDir: '/unused' }));
    const key = `job-${Date.now()}-rejected`;
    const first = await mailer.sendOnce(key, 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4101 });
    const second = await mailer.sendOnce(key, 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4101 });
    expect(first.sent).to.equal(true);
    expect(second).to.deep.equal({ sent: false, messageId: first.messageId });
    await smtp.waitFor((m) => m.subject.includes('request 4101'));
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.inbox.filter((m) => m.subject.includes('request 4101'))).to.have.length(1);
  });

  it('when the SMTP server cannot be reached, then the send fails, nothing is marked sent, and a retry sends it', async () => {
    const key = `job-${Date.now()}-retry`;
    const down = createMailer(pool, createMailTransport({ smtpUrl: 'smtp://127.0.0.1:1', from: 'pki@example.test', captureDir: '/unused' }));
    try {
      await down.sendOnce(key, 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4102 });
      expect.fail('sent through a closed port');
    } catch (e) {
      expect((e as Error).message).to.match(/ECONNREFUSED|connect/i);
    }
    const up = createMailer(pool, createMailTransport({ smtpUrl: smtp.url, from: 'pki@example.test', captureDir: '/unused' }));
    expect((await up.sendOnce(key, 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4102 })).sent).to.equal(true);
    await smtp.waitFor((m) => m.subject.includes('request 4102'));
  });

  it('when a mail job enqueues while the SMTP server cannot be reached, then it returns at once with the email queued, and the outbox sends it once when the server is back (issue 15.4)', async () => {
    const key = `job-${Date.now()}-queued`;
    const down = createMailer(pool, createMailTransport({ smtpUrl: 'smtp://127.0.0.1:1', from: 'pki@example.test', captureDir: '/unused' }));
    const queued = await down.enqueue(key, 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4107 });
    expect(queued).to.include({ sent: false, queued: true });
    expect((await down.deliverPending()).failed, 'still down').to.equal(1);
    const up = createMailer(pool, createMailTransport({ smtpUrl: smtp.url, from: 'pki@example.test', captureDir: '/unused' }));
    // Rows of other tests may wait too: deliver until ours went out.
    for (let i = 0; i < 5 && !(await pool.query('SELECT 1 FROM mail_outbox WHERE effect_key = $1 AND sent_at IS NOT NULL', [key])).rowCount; i++) await up.deliverPending();
    await up.deliverPending();
    expect(await up.enqueue(key, 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4107 })).to.deep.equal({ sent: false, queued: false, messageId: queued.messageId });
    const mail = await smtp.waitFor((m) => m.subject.includes('request 4107'));
    expect(mail.raw).to.contain(queued.messageId);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.inbox.filter((m) => m.subject.includes('request 4107'))).to.have.length(1);
  });

  describe('no database transaction while SMTP talks (issue 17.9)', () => {
    /** A server that accepts connections and never says a word: no SMTP greeting, ever. */
    let silent: net.Server;
    const sockets: net.Socket[] = [];
    /** A pool of the mailer's own, so that its connections can be told apart on the server. */
    let mailerPool: Pool;
    const APP = 'wpki-mailer-spec';
    const fastTimeouts = { connectionTimeoutMs: 1000, greetingTimeoutMs: 500, socketTimeoutMs: 1000 };

    before(async () => {
      silent = net.createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      mailerPool = createPool({ connectionString: db.url, max: 3, applicationName: APP });
    });
    after(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
      await mailerPool.end();
    });

    /** The mailer's connections on the server that sit in an open transaction. */
    const inTransaction = async (): Promise<number> =>
      (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'", [APP])).rows[0]!.n;

    it('when the SMTP server accepts and never greets, then no connection waits in a transaction, the send fails after the short greeting timeout, and a retry sends the email once', async () => {
      const key = `job-${Date.now()}-silent`;
      const silentUrl = `smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const stuck = createMailer(mailerPool, createMailTransport({ smtpUrl: silentUrl, from: 'pki@example.test', captureDir: '/unused', ...fastTimeouts }));
      const started = Date.now();
      const sending = stuck.sendOnce(key, 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4103 }).then(
        () => new Error('sent to a server that never greeted'),
        (err: Error) => err,
      );
      await new Promise((r) => setTimeout(r, 250));
      expect(await inTransaction(), 'connections idle in transaction while SMTP waits').to.equal(0);
      const failure = await Promise.race([sending, new Promise<Error>((r) => setTimeout(() => r(new Error('still waiting after 5 s')), 5000))]);
      expect(failure.message).to.match(/greeting|timeout/i);
      expect(Date.now() - started).to.be.below(5000);

      const up = createMailer(mailerPool, createMailTransport({ smtpUrl: smtp.url, from: 'pki@example.test', captureDir: '/unused', ...fastTimeouts }));
      expect((await up.sendOnce(key, 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4103 })).sent).to.equal(true);
      expect((await up.sendOnce(key, 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4103 })).sent).to.equal(false);
      await smtp.waitFor((m) => m.subject.includes('request 4103'));
      await new Promise((r) => setTimeout(r, 300));
      expect(smtp.inbox.filter((m) => m.subject.includes('request 4103'))).to.have.length(1);
    });

    it('when two deliveries of one mail job run at the same time, then one email is sent; the other delivery is told to retry, and its retry does not send again', async () => {
      const key = `job-${Date.now()}-twice`;
      const mailer = createMailer(mailerPool, createMailTransport({ smtpUrl: smtp.url, from: 'pki@example.test', captureDir: '/unused', ...fastTimeouts }));
      const send = () => mailer.sendOnce(key, 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4104 });
      const results = await Promise.allSettled([send(), send()]);
      const sent = results.filter((r) => r.status === 'fulfilled' && r.value.sent);
      expect(sent, JSON.stringify(results)).to.have.length(1);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as Error).message).to.match(/being sent/);
      expect((await send()).sent).to.equal(false);
      await smtp.waitFor((m) => m.subject.includes('request 4104'));
      await new Promise((r) => setTimeout(r, 300));
      expect(smtp.inbox.filter((m) => m.subject.includes('request 4104'))).to.have.length(1);
    });

    it('when the email was sent, then the retry reports the same message id the server received', async () => {
      const key = `job-${Date.now()}-msgid`;
      const mailer = createMailer(mailerPool, createMailTransport({ smtpUrl: smtp.url, from: 'pki@example.test', captureDir: '/unused', ...fastTimeouts }));
      const first = await mailer.sendOnce(key, 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4105 });
      const got = await smtp.waitFor((m) => m.subject.includes('request 4105'));
      expect(got.raw).to.contain(`Message-ID: ${first.messageId}`);
      expect((await mailer.sendOnce(key, 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4105 })).messageId).to.equal(first.messageId);
    });
  });

  it('when an email was sent before the outbox existed (a job effect), then after the migration its retry still sends nothing', async () => {
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-migrations-'));
    for (const m of listMigrations().filter((m) => m.version < '011')) fs.writeFileSync(path.join(before, `${m.name}.sql`), m.sql);
    await withEmptyDatabase(async (empty) => {
      await migrate(empty, before);
      await empty.query(`INSERT INTO job_effects (effect_key, kind, result) VALUES ('job-legacy:decision', 'mail.request-rejected', '{"messageId": "<legacy@example.test>"}')`);
      await migrate(empty, MIGRATIONS_DIR);
      const mailer = createMailer(empty, createMailTransport({ smtpUrl: smtp.url, from: 'pki@example.test', captureDir: '/unused' }));
      expect(await mailer.sendOnce('job-legacy:decision', 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4106 })).to.deep.equal({ sent: false, messageId: '<legacy@example.test>' });
    });
    fs.rmSync(before, { recursive: true, force: true });
    expect(smtp.inbox.filter((m) => m.subject.includes('request 4106'))).to.have.length(0);
  });

  it('when a rejection is rendered, then the reason is in both parts and escaped in HTML', () => {
    const m = renderMail('request-rejected', rejected);
    expect(m.subject).to.equal('Rejected: enrollment of asset web01 (request 41)');
    expect(m.text).to.contain('DNS name <b>not</b> ours');
    expect(m.html).to.contain('DNS name &lt;b&gt;not&lt;/b&gt; ours');
  });

  it('when a value is missing, then rendering fails instead of sending a hollow email', () => {
    const { rejectionReason: _omitted, ...incomplete } = rejected;
    expect(() => renderMail('request-rejected', incomplete)).to.throw(/rejectionReason/);
  });
});
