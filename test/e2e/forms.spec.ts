/**
 * Every form, rendered by form-js (the renderer Tasklist uses) in headless Chromium with sample
 * variables: it imports, its templates resolve, and its rules behave. Catches what the linter
 * cannot, e.g. a list whose items render empty.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/config';
import { testBrowser } from '../support/browser';

const formDir = path.join(PROJECT_ROOT, 'forms');
const viewer = fs.readFileSync(path.join(PROJECT_ROOT, 'node_modules/@bpmn-io/form-js/dist/form-viewer.umd.js'), 'utf8');
const css = fs.readFileSync(path.join(PROJECT_ROOT, 'node_modules/@bpmn-io/form-js/dist/assets/form-js.css'), 'utf8');
const data = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'test/fixtures/form-data.json'), 'utf8')) as Record<string, unknown>;

interface Submitted {
  errors: string[];
  data: Record<string, unknown>;
}

interface FormComponent {
  type: string;
  label?: string;
  text?: string;
  conditional?: unknown;
  components?: FormComponent[];
}
interface FormSchema {
  components: FormComponent[];
}

/**
 * What a form must show with the sample variables, read from its schema: the title (the first
 * text's `# heading`), the label of every field that is always shown, and the value of every
 * plain `{{variable}}` in the always-shown texts (loops and conditional parts aside).
 */
function whatMustShow(schema: FormSchema): { title: string; labels: string[]; values: Array<[string, string]>; fields: number } {
  const all: FormComponent[] = [];
  const walk = (cs: FormComponent[]) => cs.forEach((c) => (all.push(c), walk(c.components ?? [])));
  walk(schema.components);
  const shown = all.filter((c) => !c.conditional);
  const title = /^# (.+)$/m.exec(all.find((c) => c.type === 'text')?.text ?? '')?.[1];
  expect(title, 'the form has a "# title" text').to.be.a('string');
  const values: Array<[string, string]> = [];
  for (const c of shown.filter((x) => x.type === 'text')) {
    const outsideLoops = (c.text ?? '').replace(/\{\{#loop[\s\S]*?\{\{\/loop\}\}/g, '');
    for (const m of outsideLoops.matchAll(/\{\{\s*([A-Za-z]\w*)\s*\}\}/g)) {
      const v = data[m[1]!];
      if (typeof v === 'string' || typeof v === 'number') values.push([m[1]!, String(v)]);
    }
  }
  return { title: title!, labels: shown.flatMap((c) => (c.label ? [c.label] : [])), values, fields: shown.length };
}

async function render(page: Page, file: string, variables: Record<string, unknown> = data): Promise<void> {
  const schema = JSON.parse(fs.readFileSync(path.join(formDir, file), 'utf8'));
  await page.setContent(`<html><head><style>${css}</style></head><body><div id="form"></div></body></html>`);
  await page.addScriptTag({ content: viewer });
  await page.evaluate(
    async ({ schema, variables }) => {
      // Runs in the page: its globals are typed here by hand (the project has no DOM lib).
      const w = globalThis as unknown as { FormViewer: { createForm(o: object): Promise<unknown> }; form: unknown; document: { querySelector(s: string): unknown } };
      w.form = await w.FormViewer.createForm({ schema, data: variables, container: w.document.querySelector('#form') });
    },
    { schema, variables },
  );
}

async function submit(page: Page): Promise<Submitted> {
  await page.waitForTimeout(400); // form-js debounces text input
  return page.evaluate(() => {
    const s = (globalThis as unknown as { form: { submit(): { errors: Record<string, unknown>; data: Record<string, unknown> } } }).form.submit();
    return { errors: Object.keys(s.errors), data: s.data };
  });
}

describe('forms rendered by form-js in headless Chromium', function () {
  this.timeout(60_000);
  let page: Page;
  before(async () => {
    page = await (await testBrowser()).newPage();
  });
  after(async () => {
    await page?.close();
  });

  for (const file of fs.readdirSync(formDir).filter((f) => f.endsWith('.form'))) {
    it(`when ${file} is shown with sample variables, then its title, fields and variables are on the page and every template resolves`, async () => {
      await render(page, file);
      const text = await page.locator('#form').innerText();
      const expected = whatMustShow(JSON.parse(fs.readFileSync(path.join(formDir, file), 'utf8')) as FormSchema);
      // A blank or half render fails here (issue 16.2): the title, every label and every
      // variable the always-shown texts name must be on the page, in as many fields.
      expect(text, `${file}: title`).to.contain(expected.title);
      for (const label of expected.labels) expect(text, `${file}: field '${label}'`).to.contain(label);
      // A variable may be a link's address rather than its text.
      const shown = [text, ...(await page.locator('#form a[href]').evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href)))].join('\n');
      for (const [name, value] of expected.values) expect(shown, `${file}: {{${name}}}`).to.contain(value);
      expect(await page.locator('#form .fjs-form-field').count(), `${file}: rendered fields`).to.be.at.least(expected.fields);
      expect(text, file).to.not.match(/\{\{|\}\}/);
      expect(text, `${file}: an empty "label: value" line`).to.not.match(/^\s*:\s*$/m);
    });
  }

  it('when an agent rejects without a reason, then the approval form refuses; with a reason it submits both', async () => {
    await render(page, 'approve-request.form');
    expect(await page.locator('#form').innerText()).to.contain('Certificate profile: Web server TLS (P10)');
    await page.getByLabel('Reject').check();
    expect((await submit(page)).errors).to.have.length(1);
    await page.getByLabel(/Reason for rejection/).fill('asset is being retired');
    expect(await submit(page)).to.deep.equal({ errors: [], data: { decision: 'reject', rejectionReason: 'asset is being retired' } });
  });

  it('when the agent approves, then no reason is asked for or sent', async () => {
    await render(page, 'approve-request.form');
    await page.getByLabel('Approve').check();
    expect(await page.getByLabel(/Reason for rejection/).count()).to.equal(0);
    expect(await submit(page)).to.deep.equal({ errors: [], data: { decision: 'approve' } });
  });

  it('when the CA refused the CSR, then the upload form shows the reason; otherwise no banner', async () => {
    await render(page, 'p10-upload-csr.form', { ...data, refusal: 'DNS name shop.example.net is outside the domain policy' });
    expect(await page.locator('#form').innerText()).to.contain('The CA refused this: DNS name shop.example.net');
    await render(page, 'p10-upload-csr.form');
    expect(await page.locator('#form').innerText()).to.not.contain('The CA refused this');
  });

  it('when the P12 password step is shown, then the link to the one-time secret page is a link and confirming is required', async () => {
    await render(page, 'p12-password.form');
    expect(await page.getByRole('link', { name: 'Show password and download' }).getAttribute('href')).to.equal(data.secretLinkPageUrl);
    expect((await submit(page)).errors).to.have.length(1);
    await page.getByLabel(/Confirm displayed password/).check();
    expect((await submit(page)).errors).to.deep.equal([]);
  });
});
