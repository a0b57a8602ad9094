/**
 * The README's use-case section (issue 18, "Done when"): per use case its states before and after,
 * who is notified, and what Cancel and Delete do. Checked against the models in bpmn/ and the
 * use cases the API offers, so that a new model or use case cannot go undescribed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../src/config';
import { USE_CASES } from '../../src/domain/use-cases';

const HEADING = '## Use cases: states before and after, notices, Cancel and Delete';

/** The process ids of bpmn/*.bpmn. */
function processIds(): string[] {
  return fs
    .readdirSync(path.join(PROJECT_ROOT, 'bpmn'))
    .filter((f) => f.endsWith('.bpmn'))
    .flatMap((f) => [...fs.readFileSync(path.join(PROJECT_ROOT, 'bpmn', f), 'utf8').matchAll(/<bpmn:process\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]!));
}

/** The `### ` subsections of a `## ` section, by heading. */
function subsections(section: string): Map<string, string> {
  const parts = section.split(/^### /m).slice(1);
  return new Map(parts.map((p) => [p.slice(0, p.indexOf('\n')), p]));
}

describe('README: the use-case section', () => {
  const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(HEADING);
  const section = readme.slice(start, readme.indexOf('\n## ', start + HEADING.length));
  const subs = subsections(section);

  it('when a model is in bpmn/, then the use-case section names its process', () => {
    expect(start, 'the section').to.be.greaterThan(0);
    const ids = processIds();
    expect(ids.length).to.be.greaterThan(0);
    for (const id of ids) expect(section, `README use-case section names ${id}`).to.contain(`\`${id}\``);
  });

  it('when a use case is offered, then it has its own subsection with a row per outcome (objects, request, emails) and says what Cancel and Delete request do', () => {
    for (const u of USE_CASES) {
      const found = [...subs.entries()].find(([heading]) => heading.includes(`(\`${u.symbolicName}\``));
      expect(found, `a "### ${u.label} (\`${u.symbolicName}\`)" subsection`).to.not.equal(undefined);
      const [heading, text] = found!;
      expect(heading).to.contain(u.label);
      expect(text, `${u.symbolicName}: its outcome table`).to.match(/^\| outcome \| objects \| request[^|]* \| emails \|$/m);
      expect(text, `${u.symbolicName}: what it needs before`).to.match(/\bBefore\b|\bStarts on\b/);
      expect(text, `${u.symbolicName}: the done outcome`).to.match(/^\| (done|approved) \|/m);
      expect(text, `${u.symbolicName}: Cancel`).to.contain('**Cancel**');
      expect(text, `${u.symbolicName}: Delete request`).to.contain('**Delete request**');
    }
  });

  it('when a process runs on a schedule, then the README gives its states before and after and its emails, and says there is nothing to cancel or delete', () => {
    const expiry = readme.slice(readme.indexOf('### Certificate expiry'), readme.indexOf('\n## ', readme.indexOf('### Certificate expiry')));
    expect(expiry).to.contain('`AssetsProcCertificateExpiry`');
    expect(expiry).to.match(/^\| step \| before \| after \| emails \|$/m);
    expect(expiry).to.contain('nothing to Cancel or Delete');
  });
});
