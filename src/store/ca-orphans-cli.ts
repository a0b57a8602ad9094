/**
 * `npm run ca:orphans`: lists the certificates the CA issued that no certificate object holds
 * (see ca-orphans.ts); `npm run ca:orphans -- --revoke` revokes them. Only certificates issued
 * more than `--older-than-minutes` ago (default 10) count, so an issuance in flight is never one.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { startBuiltinCa } from '../ca/start';
import { findOrphanCertificates, revokeOrphanCertificates, type OrphanCertificate } from './ca-orphans';
import { openDatabase } from './database';

const describe = (o: OrphanCertificate): string =>
  `  ${o.serial}  ${o.origin}  ${o.status}  issued ${o.issuedAt.toISOString()}  ${o.subject}`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { revoke: { type: 'boolean', default: false }, 'older-than-minutes': { type: 'string', default: '10' } } });
  const minutes = Number(values['older-than-minutes']);
  if (!Number.isInteger(minutes) || minutes < 0) throw new Error('--older-than-minutes must be a whole number of minutes, 0 or more');
  const search = { issuedBefore: new Date(Date.now() - minutes * 60_000) };
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    if (values.revoke) {
      const { ca } = await startBuiltinCa(config, db.pool);
      const revoked = await revokeOrphanCertificates(db.pool, ca, search);
      console.log(`[ca] revoked ${revoked.length} certificate(s) that no certificate object holds (cessationOfOperation)`);
      for (const o of revoked) console.log(describe(o));
    } else {
      const orphans = await findOrphanCertificates(db.pool, search);
      console.log(`[ca] ${orphans.length} certificate(s) valid or on hold at the CA that no certificate object holds`);
      for (const o of orphans) console.log(describe(o));
      if (orphans.length) console.log('revoke them with: npm run ca:orphans -- --revoke');
    }
  } finally {
    await db.close();
  }
}

main().catch((err: Error) => {
  console.error(`ca:orphans failed: ${err.message}`);
  process.exit(1);
});
