import { expect } from 'chai';
import nodemailer from 'nodemailer';
import { testDatabase } from '../support/database';
import { testSmtp } from '../support/smtp';

describe('test harness', () => {
  it('when a suite asks for the database, then it gets a fresh migrated database of its own', async () => {
    const db = await testDatabase();
    const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
    expect(Number(rows[0]!.n)).to.be.greaterThan(0);
    expect(db.name).to.match(/^wpki_test_/);
  });

  it('when a message is sent to the SMTP server, then the inbox holds it parsed', async () => {
    const smtp = await testSmtp();
    const transport = nodemailer.createTransport(smtp.url);
    await transport.sendMail({ from: 'a@example.test', to: 'b@example.test', subject: 'harness check', text: 'hello' });
    const mail = await smtp.waitFor((m) => m.subject === 'harness check');
    expect(mail.to).to.deep.equal(['b@example.test']);
    expect(mail.text.trim()).to.equal('hello');
  });
});
