/** One paged search over a table: filter by state and free text, newest first. */
import type { Queryable } from './db';
import { parseInput, searchParams, type Page, type SearchParams } from './validate';
import type { StateMachine } from '../domain/states';
import { isState, notAStateError } from '../domain/transitions';

export interface SearchSpec {
  table: string;
  /** SELECT list producing the row type (camelCase aliases). */
  select: string;
  /**
   * Columns searched (case-insensitively) by the free text; `name[]` is a text array, searched as
   * its elements joined by spaces (`search_text`, migration 110: an expression an index can serve).
   */
  textColumns: string[];
  machine: StateMachine<string>;
  /** Further fixed conditions, e.g. `card_type_id = $1`, with their values. */
  where?: { sql: string; values: unknown[] };
}

export async function searchTable<T>(q: Queryable, spec: SearchSpec, params: SearchParams = {}): Promise<Page<T>> {
  const p = parseInput(searchParams, params, 'search');
  const values: unknown[] = [...(spec.where?.values ?? [])];
  const conds: string[] = spec.where ? [spec.where.sql] : [];
  if (p.state !== undefined) {
    if (!isState(spec.machine, p.state)) throw notAStateError(spec.machine, p.state);
    values.push(p.state);
    conds.push(`state = $${values.length}`);
  }
  if (p.text) {
    values.push(`%${p.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    const n = values.length;
    conds.push(
      `(${spec.textColumns
        .map((c) => (c.endsWith('[]') ? `search_text(${c.slice(0, -2)}) ILIKE $${n}` : `${c} ILIKE $${n}`))
        .join(' OR ')})`,
    );
  }
  const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
  const total = await q.query<{ n: number }>(`SELECT count(*) AS n FROM ${spec.table} ${where}`, values);
  const rows = await q.query<T & object>(
    `SELECT ${spec.select} FROM ${spec.table} ${where} ORDER BY id DESC LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
    [...values, p.limit, p.offset],
  );
  return { items: rows.rows, total: total.rows[0]?.n ?? 0, limit: p.limit, offset: p.offset };
}
