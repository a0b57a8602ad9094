import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../../src/config';
import { buildTemplates, renderTemplates, TEMPLATES_FILE } from '../../../scripts/element-templates';

const schema = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'node_modules/@camunda/zeebe-element-templates-json-schema/resources/schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

describe('Camunda Modeler element templates', () => {
  it('when generated, then every template is valid against Camunda\'s element template schema', () => {
    for (const t of buildTemplates()) expect(validate(t), `${String(t.id)}: ${JSON.stringify(validate.errors)}`).to.equal(true);
  });

  it('then the schema check is real: a template without a binding type is refused', () => {
    const broken = { ...buildTemplates()[0]!, properties: [{ type: 'Hidden', value: 'x', binding: {} }] };
    expect(validate(broken)).to.equal(false);
  });

  it('then the committed file is current (run `npm run templates` after changing a worker)', () => {
    expect(fs.readFileSync(TEMPLATES_FILE, 'utf8')).to.equal(renderTemplates());
  });

  it('then every job type of the models has a template', () => {
    const types = new Set(buildTemplates().flatMap((t) => (t.properties as Array<{ binding: { type: string; property?: string }; value: unknown }>).filter((p) => p.binding.type === 'zeebe:taskDefinition' && p.binding.property === 'type').map((p) => String(p.value))));
    const bpmnDir = path.join(PROJECT_ROOT, 'bpmn');
    for (const f of fs.readdirSync(bpmnDir)) {
      for (const m of fs.readFileSync(path.join(bpmnDir, f), 'utf8').matchAll(/<zeebe:taskDefinition type="([^"]+)"/g)) expect(types, `${f}: ${m[1]}`).to.include(m[1]);
    }
  });
});
