import { expect } from 'chai';
import type { Pool } from 'pg';
import { createMailer } from '../../src/mail/mailer';
import { createMailTransport } from '../../src/mail/transport';
import { renderMail } from '../../src/mail/templates';
import { testDatabase } from '../support/database';
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
  let smtp: TestSmtp;
  before(async () => {
    pool = (await testDatabase()).pool;
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

  it('when the SMTP server cannot be reached, then the send fails, nothing is recorded, and a retry sends it', async () => {
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
