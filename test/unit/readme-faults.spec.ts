/**
 * The README's reliability table (issue 15.8) is generated from the fault suite's records; this
 * checks that it lists every case the suite has, says nothing was lost or duplicated, and that the
 * generator renders what it is given (a case that went wrong shows as NO).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../src/config';
import { BEGIN, END, renderTable, rowsOf, withTable } from '../../scripts/faults-table';

const FAULTS_DIR = path.join(PROJECT_ROOT, 'test', 'faults');

/** Case ids in the fault specs: string literals `'<spec file name>/<case>'` (the ids they record). */
function caseIdsInSpecs(): string[] {
  return fs
    .readdirSync(FAULTS_DIR)
    .filter((f) => f.endsWith('.spec.ts'))
    .flatMap((f) => {
      const spec = f.replace(/\.spec\.ts$/, '');
      return [...fs.readFileSync(path.join(FAULTS_DIR, f), 'utf8').matchAll(/'([a-z0-9-]+)\/([a-z0-9-]+)'/g)].filter((m) => m[1] === spec).map((m) => `${m[1]}/${m[2]}`);
    });
}

describe('README: reliability table of the fault suite', () => {
  const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const block = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END));

  it('when the README has the reliability table, then every case a fault spec names has its row, every row is such a case, and says nothing lost, nothing duplicated', () => {
    expect(readme.indexOf(BEGIN), 'the table markers').to.be.greaterThan(0);
    const ids = new Set(caseIdsInSpecs());
    const rows = [...rowsOf(block).values()];
    expect(rows.length, 'rows in the table').to.be.greaterThan(0);
    for (const row of rows) {
      expect(ids.has(row.id), `row ${row.id} names a case no fault spec has`).to.equal(true);
      expect(row.line, row.line).to.not.contain('**NO**');
    }
    for (const id of ids) expect(rowsOf(block).has(id), `README row of ${id} (run the case, then npm run faults:table)`).to.equal(true);
  });

  it('when a case went wrong, then its row says NO, and the block between the markers is replaced, not added to', () => {
    const table = renderTable([
      { id: 'x/ok', item: '15.1', fault: 'a | b', observed: 'fine', nothingLost: true, nothingDuplicated: true, spec: 's', recordedAt: '2026-12-04T10:00:00Z' },
      { id: 'x/bad', item: '15.10', fault: 'c', observed: 'two emails', nothingLost: true, nothingDuplicated: false, spec: 's', recordedAt: '2026-12-04T11:00:00Z' },
    ]);
    expect(table).to.contain('| 15.1 | a \\| b | fine | yes | yes | `x/ok` |');
    expect(table).to.contain('| 15.10 | c | two emails | yes | **NO** | `x/bad` |');
    expect(table.indexOf('x/ok')).to.be.lessThan(table.indexOf('x/bad'));
    const once = withTable(`intro\n${BEGIN}\nold\n${END}\nrest`, table);
    expect(withTable(once, table)).to.equal(once);
    expect(once).to.not.contain('old');
  });

  it('when a run records only some cases, then the rows of the others are kept as an earlier run wrote them, and its own are replaced', () => {
    const earlier = renderTable([
      { id: 'x/other', item: '15.3', fault: 'theirs', observed: 'fine', nothingLost: true, nothingDuplicated: true, spec: 's', recordedAt: '2026-12-04T09:00:00Z' },
      { id: 'x/mine', item: '15.1', fault: 'mine', observed: 'old outcome', nothingLost: true, nothingDuplicated: false, spec: 's', recordedAt: '2026-12-04T09:00:00Z' },
    ]);
    const table = renderTable([{ id: 'x/mine', item: '15.1', fault: 'mine', observed: 'new outcome', nothingLost: true, nothingDuplicated: true, spec: 's', recordedAt: '2026-12-04T12:00:00Z' }], rowsOf(earlier));
    expect([...rowsOf(table).keys()]).to.deep.equal(['x/mine', 'x/other']);
    expect(table).to.contain('| 15.3 | theirs | fine | yes | yes | `x/other` |');
    expect(table).to.contain('new outcome').and.not.contain('old outcome');
    expect(table).to.contain('2 cases; 1 recorded by the newest run');
  });
});
