/**
 * `npm run mail:given-up`: lists the email the outbox gave up (refused for good by the SMTP
 * server, or not sent within MAIL_GIVE_UP_AFTER_HOURS), newest first, with why. No body is shown.
 */
import { loadConfig } from '../config';
import { openDatabase } from '../store/database';
import { listGivenUpMail, type GivenUpMail } from './mailer';

export const describeGivenUp = (m: GivenUpMail): string =>
  `  ${m.givenUpAt.toISOString()}  ${m.messageId}  ${m.template}  to ${m.recipients.join(', ')}  "${m.subject}"  ` +
  `(written ${m.createdAt.toISOString()}, ${m.attempts} attempt(s))\n      ${m.lastError ?? '(no error recorded)'}`;

async function main(): Promise<void> {
  const db = await openDatabase(loadConfig());
  try {
    const given = await listGivenUpMail(db.pool);
    console.log(`[mail] ${given.length} email(s) given up (not sent, not retried)`);
    for (const m of given) console.log(describeGivenUp(m));
  } finally {
    await db.close();
  }
}

main().catch((err: Error) => {
  console.error(`mail:given-up failed: ${err.message}`);
  process.exit(1);
});
