import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import { createMailTransport } from '../../src/mail/transport';
import { testSmtp } from '../support/smtp';
import { tempDir } from '../support/temp';

describe('mail transport', () => {
  it('when SMTP_URL is set, then the message reaches the SMTP server', async () => {
    const smtp = await testSmtp();
    const t = createMailTransport({ smtpUrl: smtp.url, from: 'pki@example.test', captureDir: '/nonexistent' });
    await t.send({ to: ['approver@example.test'], subject: 'transport via smtp', text: 'body' });
    const got = await smtp.waitFor((m) => m.subject === 'transport via smtp');
    expect(got.from).to.equal('pki@example.test');
    expect(t.description).to.match(/^SMTP smtp:\/\/127\.0\.0\.1:\d+$/);
    t.close();
  });

  it('when SMTP_URL is not set, then the message is written as an .eml file to the capture folder', async () => {
    const dir = tempDir('wpki-mail-');
    const t = createMailTransport({ from: 'pki@example.test', captureDir: dir });
    await t.send({ to: ['requester@example.test'], subject: 'captured', text: 'hello capture' });
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.eml'));
    expect(files).to.have.length(1);
    const parsed = await simpleParser(fs.readFileSync(path.join(dir, files[0]!)));
    expect(parsed.subject).to.equal('captured');
    expect(parsed.text?.trim()).to.equal('hello capture');
    expect(t.description).to.contain(dir);
  });
});
