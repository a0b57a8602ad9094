/**
 * `npm run ca:reconcile`: holds every certificate object the store has in use or revoked against
 * the CA's status and settles each difference (see ca-reconcile.ts), then revokes the CA's
 * certificates no object holds (ca-orphans.ts). Prints a table of what differed and what was
 * done, and a progress line while it works.
 *
 *   --dry-run                 find and report only; nothing changes at the store or the CA
 *   --actor <name>            who is named in the history rows (default: ca-reconcile (<OS user>))
 *   --older-than-minutes <n>  orphans: only certificates issued more than n minutes ago (default 10)
 *   --no-orphans              skip the orphans
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { startBuiltinCa } from '../ca/start';
import { countOutcomes, reconcileWithCa, reconciliationTable, type ReconcileProgress } from './ca-reconcile';
import { openDatabase } from './database';

/** A progress line: rewritten in place on a terminal, else a line at most every five seconds. */
function progressReporter(): (p: ReconcileProgress) => void {
  const tty = process.stderr.isTTY;
  let last = 0;
  return ({ checked, total, differences }) => {
    const now = Date.now();
    const done = checked >= total;
    if (!tty && !done && now - last < 5000) return;
    last = now;
    const pct = total ? Math.floor((checked / total) * 100) : 100;
    const text = `[reconcile] checked ${checked} of ${total} certificate(s) (${pct}%), ${differences} difference(s)`;
    process.stderr.write(tty ? `\r${text}${done ? '\n' : ''}` : `${text}\n`);
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      actor: { type: 'string' },
      'older-than-minutes': { type: 'string', default: '10' },
      'no-orphans': { type: 'boolean', default: false },
    },
  });
  const minutes = Number(values['older-than-minutes']);
  if (!Number.isInteger(minutes) || minutes < 0) throw new Error('--older-than-minutes must be a whole number of minutes, 0 or more');
  const dryRun = values['dry-run'];
  const actor = values.actor ?? `ca-reconcile (${os.userInfo().username})`;
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    const { ca } = await startBuiltinCa(config, db.pool);
    const report = await reconcileWithCa(db.pool, ca, {
      dryRun,
      actor,
      orphans: values['no-orphans'] ? undefined : { issuedBefore: new Date(Date.now() - minutes * 60_000) },
      onProgress: progressReporter(),
    });
    const table = reconciliationTable(report, dryRun);
    if (table) console.log(table);
    const n = countOutcomes(report);
    const orphans = `${report.orphans.length} certificate(s) at the CA that no object holds ${dryRun ? 'to revoke' : 'revoked'}`;
    console.log(
      dryRun
        ? `[reconcile] dry run: ${report.checked} certificate(s) checked, ${n['would change']} to settle, ${n.left} for an operator; ${orphans}. Nothing was changed.`
        : `[reconcile] ${report.checked} certificate(s) checked, ${n.changed} settled, ${n.left} for an operator, ${n['settled meanwhile']} settled meanwhile; ${orphans}. History rows name '${actor}'.`,
    );
  } finally {
    await db.close();
  }
}

main().catch((err: Error) => {
  console.error(`ca:reconcile failed: ${err.message}`);
  process.exit(1);
});
