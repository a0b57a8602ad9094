/**
 * Models, forms and workers fit together: what a BPMN asks for exists. Read from the files the
 * engine deploys, so a rename in the Modeler that breaks the wiring fails here first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../../src/config';
import { USE_CASES } from '../../../src/domain/use-cases';
import { createAllHandlers, type WorkerDeps } from '../../../workers';
import { BpmnErrorCode } from '../../../workers/runtime';

const bpmnDir = path.join(PROJECT_ROOT, 'bpmn');
const formDir = path.join(PROJECT_ROOT, 'forms');
const models = fs.readdirSync(bpmnDir).filter((f) => f.endsWith('.bpmn')).map((f) => ({ file: f, xml: fs.readFileSync(path.join(bpmnDir, f), 'utf8') }));
const attr = (xml: string, element: string, name: string) => [...xml.matchAll(new RegExp(`<${element}\\b[^>]*\\s${name}="([^"]+)"`, 'g'))].map((m) => m[1]!);

// Handler factories only capture their dependencies; nothing is called here.
const handlers = createAllHandlers({} as WorkerDeps);
const byType = new Map(handlers.map((h) => [h.type, h]));

describe('wiring of models, forms and workers', () => {
  it('then every model is named after its process id, the symbolic name', () => {
    for (const m of models) expect(attr(m.xml, 'bpmn:process', 'id'), m.file).to.deep.equal([m.file.replace(/\.bpmn$/, '')]);
  });

  it('then every use case the API offers has its model', () => {
    for (const u of USE_CASES) expect(models.map((m) => m.file), u.symbolicName).to.include(`${u.symbolicName}.bpmn`);
  });

  it('then every service task job type has a worker, and it is not a listener', () => {
    for (const m of models) {
      for (const type of attr(m.xml, 'zeebe:taskDefinition', 'type')) {
        expect(byType.has(type), `${m.file}: no worker for ${type}`).to.equal(true);
        expect(byType.get(type)!.listener ?? false, `${m.file}: ${type} is a listener`).to.equal(false);
      }
    }
  });

  it('then every task listener job type has a listener worker', () => {
    for (const m of models) {
      for (const type of attr(m.xml, 'zeebe:taskListener', 'type')) {
        expect(byType.get(type)?.listener, `${m.file}: ${type} must be a listener worker`).to.equal(true);
      }
    }
  });

  it('then every linked form exists with that id, and every form is used', () => {
    const used = new Set<string>();
    for (const m of models) {
      for (const formId of attr(m.xml, 'zeebe:formDefinition', 'formId')) {
        used.add(formId);
        const file = path.join(formDir, `${formId}.form`);
        expect(fs.existsSync(file), `${m.file}: form ${formId}`).to.equal(true);
        expect(JSON.parse(fs.readFileSync(file, 'utf8')).id).to.equal(formId);
      }
    }
    expect(fs.readdirSync(formDir).map((f) => f.replace(/\.form$/, '')).sort()).to.deep.equal([...used].sort());
  });

  it('then every called process exists', () => {
    for (const m of models) {
      for (const id of attr(m.xml, 'zeebe:calledElement', 'processId')) expect(fs.existsSync(path.join(bpmnDir, `${id}.bpmn`)), `${m.file} calls ${id}`).to.equal(true);
    }
  });

  it('then every BPMN error the models catch is one the workers throw', () => {
    const codes = Object.values(BpmnErrorCode) as string[];
    for (const m of models) for (const code of attr(m.xml, 'bpmn:error', 'errorCode')) expect(codes, `${m.file}: ${code}`).to.include(code);
  });

  it('then no worker is left without a model that uses it', () => {
    const used = new Set(models.flatMap((m) => [...attr(m.xml, 'zeebe:taskDefinition', 'type'), ...attr(m.xml, 'zeebe:taskListener', 'type')]));
    // approval.decide is the service-task form of the decision, for models that decide without a user task.
    const unused = handlers.map((h) => h.type).filter((t) => !used.has(t) && t !== 'approval.decide');
    expect(unused).to.deep.equal([]);
  });
});
