/**
 * What each fault case observed, for the README's reliability table (issue 15.8). A fault spec
 * records its case's observed facts — before it asserts on them, so a case that goes wrong is
 * recorded as it went — and `npm run faults:table` (scripts/faults-table.ts) writes the table
 * into README.md between its markers. Nobody writes the table by hand.
 *
 * The record is `test-artifacts/faults/outcomes.json` (not committed): one entry per case id,
 * replaced by each run of that case. How to add a case: test/faults/support/README.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../src/config';

export const OUTCOMES_FILE = path.join(PROJECT_ROOT, 'test-artifacts', 'faults', 'outcomes.json');

export interface FaultOutcome {
  /** Stable id, `<spec>/<case>`, e.g. `worker-killed/after-ca-issued`; the table's order. */
  id: string;
  /** The item, e.g. `15.1`. */
  item: string;
  /** The fault, in an operator's words: what happened and when. */
  fault: string;
  /** What was observed afterwards (counts, states, the engine's answer), in a sentence. */
  observed: string;
  /** Everything that should exist exists (the certificate, the email, the completed process ...). */
  nothingLost: boolean;
  /** Nothing exists twice (certificates at the CA and in the store, emails, transitions ...). */
  nothingDuplicated: boolean;
}

export interface RecordedOutcome extends FaultOutcome {
  /** The spec file that recorded it, relative to the project. */
  spec: string;
  recordedAt: string;
}

export function readOutcomes(file = OUTCOMES_FILE): Record<string, RecordedOutcome> {
  if (!fs.existsSync(file)) return {};
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, RecordedOutcome>;
}

/**
 * Records a case's observed outcome (replacing the case's earlier record). `spec` is the
 * calling spec's `__filename`.
 */
export function recordFaultOutcome(spec: string, outcome: FaultOutcome): void {
  if (!/^[a-z0-9-]+\/[a-z0-9-]+$/.test(outcome.id)) throw new Error(`fault case id '${outcome.id}' must be '<spec>/<case>' in lower-case words with dashes`);
  const all = readOutcomes();
  all[outcome.id] = { ...outcome, spec: path.relative(PROJECT_ROOT, spec), recordedAt: new Date().toISOString() };
  fs.mkdirSync(path.dirname(OUTCOMES_FILE), { recursive: true });
  const tmp = `${OUTCOMES_FILE}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`);
  fs.renameSync(tmp, OUTCOMES_FILE);
}
