/**
 * The history of what admins switch without code (issue 17.10): every change of a use case's
 * options or a card type's command, with who made it, what it was and what it became. The
 * options themselves keep only their current values.
 */
import type { Queryable } from './db';

export type OptionKind = 'use case option' | 'card type command';

export interface OptionChange {
  kind: OptionKind;
  /** The use case's symbolic name, or `<card type>/<Command>`. */
  key: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  actor: string;
  at: Date;
}

/** Records a change; nothing when `before` and `after` hold the same values. */
export async function recordOptionChange(q: Queryable, change: Omit<OptionChange, 'at'>): Promise<void> {
  if (JSON.stringify(change.before) === JSON.stringify(change.after)) return;
  await q.query('INSERT INTO option_history (kind, key, before, after, actor) VALUES ($1, $2, $3, $4, $5)', [
    change.kind,
    change.key,
    JSON.stringify(change.before),
    JSON.stringify(change.after),
    change.actor,
  ]);
}

/** The changes of one option set, oldest first. */
export async function optionHistory(q: Queryable, kind: OptionKind, key: string): Promise<OptionChange[]> {
  const { rows } = await q.query<OptionChange>(
    'SELECT kind, key, before, after, actor, at FROM option_history WHERE kind = $1 AND key = $2 ORDER BY id',
    [kind, key],
  );
  return rows;
}
