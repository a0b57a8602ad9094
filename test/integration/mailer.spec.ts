import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Pool } from 'pg';
import { createMailer, listGivenUpMail } from '../../src/mail/mailer';
import { createPool } from '../../src/store/db';
import { createMailTransport } from '../../src/mail/transport';
import { renderMail } from '../../src/mail/templates';
import { listMigrations, migrate, MIGRATIONS_DIR } from '../../src/store/migrate';
import { testDatabase, withEmptyDatabase, type TestDatabase } from '../support/database';
import { REFUSED_DOMAIN, testSmtp, type TestSmtp } from '../support/smtp';

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

  describe('giving up (review of issue 15.4: no email is retried forever unseen)', () => {
    const DOWN = 'smtp://127.0.0.1:1';
    const transport = (url: string) => createMailTransport({ smtpUrl: url, from: 'pki@example.test', captureDir: '/unused', connectionTimeoutMs: 1000, greetingTimeoutMs: 1000, socketTimeoutMs: 2000 });
    const row = async (p: Pool, key: string) =>
      (await p.query<{ attempts: number; given_up_at: Date | null; sent_at: Date | null; last_error: string | null }>('SELECT attempts, given_up_at, sent_at, last_error FROM mail_outbox WHERE effect_key = $1', [key])).rows[0]!;
    /** A fresh, migrated database: the dispatcher's rounds see only this test's messages. */
    const withOutbox = (work: (p: Pool) => Promise<void>) =>
      withEmptyDatabase(async (p) => {
        await migrate(p, MIGRATIONS_DIR);
        await work(p);
      });

    it('when the SMTP server refuses the recipient with 550, then the email is given up after one try, logged once without its body, listed, and the next one in the outbox still goes out', async () => {
      await withOutbox(async (p) => {
        const lines: string[] = [];
        const mailer = createMailer(p, transport(smtp.url), { log: (l) => lines.push(l) });
        const refused = `nobody-${Date.now()}@${REFUSED_DOMAIN}`;
        const r = await mailer.enqueue('job-550', 'request-rejected', [refused], { ...rejected, requestId: 4201 });
        expect(r).to.include({ sent: false, queued: false });
        const given = await row(p, 'job-550');
        expect(given.attempts, 'tried once').to.equal(1);
        expect(given.given_up_at).to.be.instanceOf(Date);
        expect(given.last_error).to.match(/550/);

        // Written while the server was down: a refused message, then a good one behind it.
        const down = createMailer(p, transport(DOWN), { log: () => undefined });
        await down.enqueue('job-550-queued', 'request-rejected', [refused], { ...rejected, requestId: 4206 });
        await down.enqueue('job-after-550', 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4202 });
        expect(await mailer.deliverPending(), 'the refusal does not stop the round').to.deep.equal({ sent: 1, failed: 0, givenUp: 1 });
        await smtp.waitFor((m) => m.subject.includes('request 4202'));
        expect(await mailer.deliverPending(), 'nothing is tried again').to.deep.equal({ sent: 0, failed: 0, givenUp: 0 });
        expect((await row(p, 'job-550')).attempts).to.equal(1);
        expect((await row(p, 'job-550-queued')).given_up_at).to.be.instanceOf(Date);

        expect(lines, lines.join('\n')).to.have.length(2);
        expect(lines[0]).to.contain(r.messageId).and.contain('request-rejected').and.contain(refused).and.match(/refused it for good/).and.match(/550/);
        expect(lines[0]).not.to.contain('DNS name');
        const listed = await listGivenUpMail(p);
        expect(listed.map((m) => m.effectKey).sort()).to.deep.equal(['job-550', 'job-550-queued']);
        expect(listed.find((m) => m.effectKey === 'job-550')).to.include({ messageId: r.messageId, template: 'request-rejected' });
        // A redelivered mail job does not try it again.
        expect(await mailer.enqueue('job-550', 'request-rejected', [refused], { ...rejected, requestId: 4201 })).to.deep.equal({ sent: false, queued: false, messageId: r.messageId });
        expect((await row(p, 'job-550')).attempts).to.equal(1);
      });
    });

    it('when the SMTP server cannot be reached and the email is older than the give-up age, then it is given up, logged and listed, and not sent when the server is back', async () => {
      await withOutbox(async (p) => {
        const lines: string[] = [];
        const down = createMailer(p, transport(DOWN), { giveUpAfterHours: 2, log: (l) => lines.push(l) });
        const r = await down.enqueue('job-old', 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4203 });
        expect(r).to.include({ sent: false, queued: true });
        expect((await row(p, 'job-old')).given_up_at, 'young: not given up').to.equal(null);
        await p.query(`UPDATE mail_outbox SET created_at = now() - interval '3 hours' WHERE effect_key = 'job-old'`);

        expect(await down.deliverPending()).to.deep.equal({ sent: 0, failed: 1, givenUp: 1 });
        const given = await row(p, 'job-old');
        expect(given.given_up_at).to.be.instanceOf(Date);
        expect(given.last_error).to.match(/ECONNREFUSED|connect/i);
        expect(lines, lines.join('\n')).to.have.length(1);
        expect(lines[0]).to.contain(r.messageId).and.contain('agent1@example.test').and.contain('MAIL_GIVE_UP_AFTER_HOURS (2 h)');
        expect((await listGivenUpMail(p)).map((m) => m.effectKey)).to.deep.equal(['job-old']);

        const up = createMailer(p, transport(smtp.url), { giveUpAfterHours: 2, log: (l) => lines.push(l) });
        expect(await up.deliverPending()).to.deep.equal({ sent: 0, failed: 0, givenUp: 0 });
        await new Promise((res) => setTimeout(res, 300));
        expect(smtp.inbox.filter((m) => m.subject.includes('request 4203'))).to.have.length(0);
      });
    });

    it('when the SMTP server cannot be reached and the email is younger than the give-up age, then it keeps being retried and goes out when the server is back', async () => {
      await withOutbox(async (p) => {
        const lines: string[] = [];
        const down = createMailer(p, transport(DOWN), { giveUpAfterHours: 2, log: (l) => lines.push(l) });
        await down.enqueue('job-young', 'request-rejected', ['agent1@example.test'], { ...rejected, requestId: 4204 });
        await p.query(`UPDATE mail_outbox SET created_at = now() - interval '110 minutes' WHERE effect_key = 'job-young'`);
        expect(await down.deliverPending()).to.deep.equal({ sent: 0, failed: 1, givenUp: 0 });
        expect(await down.deliverPending()).to.deep.equal({ sent: 0, failed: 1, givenUp: 0 });
        expect(await row(p, 'job-young')).to.include({ attempts: 3, given_up_at: null });
        expect(lines).to.deep.equal([]);

        const up = createMailer(p, transport(smtp.url), { giveUpAfterHours: 2, log: (l) => lines.push(l) });
        expect(await up.deliverPending()).to.deep.equal({ sent: 1, failed: 0, givenUp: 0 });
        await smtp.waitFor((m) => m.subject.includes('request 4204'));
        expect(await listGivenUpMail(p)).to.deep.equal([]);
      });
    });

    it('when an old email is sent at its first try, then it is sent, not given up, and nothing is logged', async () => {
      await withOutbox(async (p) => {
        const lines: string[] = [];
        const mailer = createMailer(p, transport(smtp.url), { giveUpAfterHours: 1, log: (l) => lines.push(l) });
        // Written long ago (e.g. a queue that waited) but never tried: age alone gives nothing up.
        await p.query(
          `INSERT INTO mail_outbox (effect_key, template, recipients, subject, body_text, message_id, created_at)
           VALUES ('job-ok', 'request-rejected', ARRAY['agent1@example.test'], 'Old but fine (request 4205)', 'hello', '<ok-4205@workplace-pki>', now() - interval '5 hours')`,
        );
        expect(await mailer.deliverPending()).to.deep.equal({ sent: 1, failed: 0, givenUp: 0 });
        await smtp.waitFor((m) => m.subject.includes('request 4205'));
        const sent = await row(p, 'job-ok');
        expect(sent.sent_at).to.be.instanceOf(Date);
        expect(sent.given_up_at).to.equal(null);
        expect(lines).to.deep.equal([]);
        expect(await listGivenUpMail(p)).to.deep.equal([]);
      });
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
