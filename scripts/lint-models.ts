/**
 * `npm run lint` (after tsc): lints every BPMN with bpmnlint + camunda-compat (Camunda 8.9)
 * and every Camunda form with @camunda/form-linting plus the checks Tasklist relies on.
 * Exits non-zero with one line per problem.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Linter } from 'bpmnlint';
import NodeResolver from 'bpmnlint/lib/resolver/node-resolver';
import { BpmnModdle } from 'bpmn-moddle';
import zeebeSchema from 'zeebe-bpmn-moddle/resources/zeebe.json';
import { FormLinter } from '@camunda/form-linting';
import { PROJECT_ROOT } from '../src/config';

const MODEL_DIRS = ['bpmn', 'forms', 'test/fixtures'];

function filesEndingWith(ext: string): string[] {
  return MODEL_DIRS.flatMap((dir) => {
    const abs = path.join(PROJECT_ROOT, dir);
    if (!fs.existsSync(abs)) return [];
    return fs.readdirSync(abs).filter((f) => f.endsWith(ext)).map((f) => path.join(dir, f));
  });
}

interface FormComponent {
  type?: string;
  key?: string;
  components?: FormComponent[];
}

const INPUT_TYPES = new Set(['textfield', 'textarea', 'number', 'checkbox', 'checklist', 'radio', 'select', 'taglist', 'datetime', 'filepicker']);

/**
 * bpmnlint's CLI parses without Camunda's moddle extension, so the camunda-compat rules would
 * not see zeebe:* elements; lint through its API with zeebe-bpmn-moddle instead.
 * Warnings count as problems: models must lint clean.
 */
export async function lintBpmn(files: string[]): Promise<string[]> {
  const config = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, '.bpmnlintrc'), 'utf8'));
  const problems: string[] = [];
  for (const file of files) {
    // A linter per file: some rules keep state between runs (e.g. flows seen), which would
    // mix up models whose ids coincide.
    const linter = new Linter({ config, resolver: new NodeResolver() });
    const moddle = new BpmnModdle({ zeebe: zeebeSchema });
    const { rootElement, warnings } = await moddle.fromXML(fs.readFileSync(path.resolve(PROJECT_ROOT, file), 'utf8'));
    for (const w of warnings) problems.push(`${file}: parse warning: ${w.message}`);
    const results = await linter.lint(rootElement);
    for (const [rule, reports] of Object.entries(results)) {
      for (const r of reports) problems.push(`${file}: ${r.id ?? ''} ${r.category ?? 'error'} ${r.message} (${rule})`);
    }
  }
  return problems;
}

export function lintForm(file: string): string[] {
  const problems: string[] = [];
  let schema: { id?: string; executionPlatform?: string; executionPlatformVersion?: string; components?: FormComponent[] };
  try {
    schema = JSON.parse(fs.readFileSync(path.resolve(PROJECT_ROOT, file), 'utf8'));
  } catch (err) {
    return [`${file}: not valid JSON (${(err as Error).message})`];
  }
  if (!schema.id) problems.push(`${file}: the form has no "id" (a user task's formId links to it)`);
  if (schema.executionPlatform !== 'Camunda Cloud' || !schema.executionPlatformVersion?.startsWith('8.9')) {
    problems.push(`${file}: executionPlatform must be "Camunda Cloud" with executionPlatformVersion 8.9.x`);
  }
  const keys = new Set<string>();
  const walk = (cs: FormComponent[] = []) => {
    for (const c of cs) {
      if (c.type && INPUT_TYPES.has(c.type)) {
        if (!c.key) problems.push(`${file}: a ${c.type} field has no key (its value would be lost)`);
        else if (keys.has(c.key)) problems.push(`${file}: key "${c.key}" is used twice`);
        else keys.add(c.key);
      }
      walk(c.components);
    }
  };
  walk(schema.components);
  // @camunda/form-linting knows no rules for 8.9 yet (it would check nothing): lint with its
  // newest set, 8.8 (form-js 1.16), which 8.9 only extends.
  const reports = new FormLinter().lint({ ...schema, executionPlatformVersion: '8.8.0' }) as Array<{ id?: string; message: string }>;
  for (const r of reports) problems.push(`${file}: ${r.id ? `${r.id}: ` : ''}${r.message}`);
  return problems;
}

async function main(): Promise<void> {
  const bpmnFiles = filesEndingWith('.bpmn');
  const formFiles = filesEndingWith('.form');
  const problems = [...(await lintBpmn(bpmnFiles)), ...formFiles.flatMap(lintForm)];
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  console.log(`models lint clean: ${bpmnFiles.length} BPMN, ${formFiles.length} forms (Camunda 8.9)`);
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`model lint failed: ${err.message}`);
    process.exit(1);
  });
}
