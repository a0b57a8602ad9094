import type { ComponentProps, ReactNode } from 'react';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@carbon/react';

export interface ListRow {
  key: string | number;
  /** One a header, in their order. */
  cells: ReactNode[];
}

export interface ListTableProps {
  /** The table's accessible name (how tests and screen readers find it). */
  label: string;
  size?: ComponentProps<typeof Table>['size'];
  headers: readonly string[];
  rows: readonly ListRow[];
  /** Said across the table when there is no row; absent (e.g. still loading): nothing is said. */
  empty?: ReactNode;
}

/** A plain table of the console (Carbon's DataTable parts): one header row, one row an item. */
export function ListTable({ label, size = 'md', headers, rows, empty }: ListTableProps) {
  return (
    <Table aria-label={label} size={size}>
      <TableHead>
        <TableRow>
          {headers.map((h) => (
            <TableHeader key={h}>{h}</TableHeader>
          ))}
        </TableRow>
      </TableHead>
      <TableBody>
        {rows.map((row) => (
          <TableRow key={row.key}>
            {row.cells.map((cell, i) => (
              <TableCell key={i}>{cell}</TableCell>
            ))}
          </TableRow>
        ))}
        {rows.length === 0 && empty !== undefined && (
          <TableRow>
            <TableCell colSpan={headers.length}>{empty}</TableCell>
          </TableRow>
        )}
      </TableBody>
    </Table>
  );
}
