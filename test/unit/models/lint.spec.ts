import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { lintBpmn, lintForm } from '../../../scripts/lint-models';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-lint-'));
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
};

describe('model lint (npm run lint)', () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('when a service task has no job type, then camunda-compat reports it', async () => {
    const bpmn = file(
      'bad.bpmn',
      `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="d" targetNamespace="http://bpmn.io/schema/bpmn" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.9.0">
  <bpmn:process id="P" isExecutable="true">
    <bpmn:startEvent id="s" name="Start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="t" name="Do"><bpmn:incoming>f1</bpmn:incoming></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
  </bpmn:process>
</bpmn:definitions>`,
    );
    const problems = await lintBpmn([bpmn]);
    expect(problems.join('\n')).to.contain('zeebe:TaskDefinition');
  });

  it('when a form field has no key or the form no 8.9 platform, then the form lint reports it', () => {
    const form = file(
      'bad.form',
      JSON.stringify({ id: 'x', type: 'default', executionPlatform: 'Camunda Cloud', executionPlatformVersion: '8.5.0', components: [{ type: 'textfield', label: 'No key' }] }),
    );
    const problems = lintForm(form).join('\n');
    expect(problems).to.contain('a textfield field has no key').and.contain('executionPlatformVersion 8.9');
  });

  it('when a form uses a feature the engine cannot serve, then the Camunda rules report it', () => {
    const form = file(
      'old.form',
      JSON.stringify({
        id: 'y',
        type: 'default',
        executionPlatform: 'Camunda Cloud',
        executionPlatformVersion: '8.9.0',
        schemaVersion: 18,
        components: [{ type: 'button', action: 'submit', label: 'Send', key: 'b' }],
      }),
    );
    expect(lintForm(form).join('\n')).to.match(/button|submit/i);
  });
});
