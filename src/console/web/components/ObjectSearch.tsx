/**
 * Search one collection by text and state, a page at a time, as a table whose first column
 * links to each object's page. Used by Find, Requests and Certificates; the search lives in the
 * address, so it survives the back button.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import {
  Button,
  DataTableSkeleton,
  Pagination,
  Search,
  Select,
  SelectItem,
  TableContainer,
  Tag,
} from '@carbon/react';
import { query } from '../api';
import { objectPath, type CollectionInfo, type Row } from '../collections';
import { Link, navigate, useLocation } from '../router';
import { ErrorNotice } from './ErrorNotice';
import { ListTable } from './ListTable';
import { useApi } from './useApi';

interface Page {
  items: Row[];
  total: number;
  limit: number;
  offset: number;
}

export function StateTag({ state }: { state: string }) {
  const type = /^(Active|active|Valid|Approved|Completed|Issued|Registered)$/.test(state)
    ? 'green'
    : /^(Inactive|inactive|Rejected|Failed|revoked|Deregistered|Certificate expired)/.test(state) || state.startsWith('revoked')
      ? 'red'
      : 'blue';
  return (
    <Tag type={type} size="sm">
      {state}
    </Tag>
  );
}

export interface ObjectSearchProps {
  collection: CollectionInfo;
  /** The state searched for when the address names none ('' = any). */
  defaultState?: string;
  /** Shown beside the search, e.g. the collection switch. */
  toolbar?: ReactNode;
  /** An extra last column, e.g. downloads or delete. */
  actions?: { header: string; render(row: Row, reload: () => void): ReactNode };
  title?: string;
}

export function ObjectSearch({ collection: c, defaultState = '', toolbar, actions, title }: ObjectSearchProps) {
  const { path, params } = useLocation();
  const text = params.get('text') ?? '';
  const state = params.get('state') ?? defaultState;
  const page = Math.max(1, Number(params.get('page') ?? '1') || 1);
  const pageSize = Math.min(100, Math.max(5, Number(params.get('size') ?? '10') || 10));
  const [draft, setDraft] = useState(text);
  useEffect(() => setDraft(text), [text]);

  const found = useApi<Page>(`/api/${c.name}${query({ text, state: state === 'any' ? '' : state, limit: pageSize, offset: (page - 1) * pageSize })}`);

  /** Changes the search in the address (which runs it). */
  function go(change: Record<string, string | number>) {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(change)) next.set(k, String(v));
    navigate(`${path}?${next.toString()}`, true);
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    go({ text: draft.trim(), page: 1 });
  }

  const columns = ['Id', ...c.columns.map((col) => col.header), 'State'];
  return (
    <div className="console-search">
      <form className="console-search-bar" onSubmit={submit} role="search" aria-label={`Search ${c.label.toLowerCase()}`}>
        {toolbar}
        <Search
          id={`search-${c.name}`}
          labelText={`Text in ${c.label.toLowerCase()}`}
          placeholder={`Search ${c.label.toLowerCase()} by name, subject, serial, holder…`}
          value={draft}
          onChange={(e) => setDraft(typeof e === 'string' ? e : e.target.value)}
          size="lg"
        />
        <Select id={`state-${c.name}`} labelText="State" value={state || 'any'} onChange={(e) => go({ state: e.target.value, page: 1 })} size="lg">
          <SelectItem value="any" text="Any state" />
          {c.states.map((s) => (
            <SelectItem key={s} value={s} text={s} />
          ))}
        </Select>
        <Button type="submit" size="lg">
          Search
        </Button>
      </form>
      {found.error && <ErrorNotice error={found.error} />}
      {found.loading && !found.data ? (
        <DataTableSkeleton columnCount={columns.length} rowCount={5} showHeader={false} showToolbar={false} />
      ) : (
        <TableContainer title={title ?? c.label} description={found.data ? `${found.data.total} found` : undefined}>
          <ListTable
            label={c.label}
            headers={actions ? [...columns, actions.header] : columns}
            rows={(found.data?.items ?? []).map((row) => ({
              key: row.id,
              cells: [
                <Link to={objectPath(c.name, row.id)}>{`${c.singular} ${row.id}`}</Link>,
                ...c.columns.map((col) => (col.value ? col.value(row) : String(row[col.key] ?? ''))),
                <StateTag state={row.state} />,
                ...(actions ? [actions.render(row, found.reload)] : []),
              ],
            }))}
            empty={found.data ? 'Nothing found. Try other words or another state.' : undefined}
          />
          <Pagination
            page={page}
            pageSize={pageSize}
            pageSizes={[10, 20, 50, 100]}
            totalItems={found.data?.total ?? 0}
            onChange={({ page: p, pageSize: s }: { page: number; pageSize: number }) => go({ page: p, size: s })}
          />
        </TableContainer>
      )}
    </div>
  );
}
