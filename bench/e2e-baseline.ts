/**
 * The baseline of the end-to-end benchmark: two models of the same shape as a P10 enrollment
 * without approval — a parent with one service task and one call activity, a child with three
 * user tasks and two service tasks between them, the same element ids — whose service tasks are
 * no-op job types. What the engine, the exporter and the task driver cost on their own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BASELINE_PARENT = 'BenchBaselineEnroll';
export const BASELINE_CHILD = 'BenchBaselineEnrollP10';
export const BASELINE_JOB_TYPES = ['bench.noop.prepare', 'bench.noop.review-csr', 'bench.noop.issue'] as const;

const NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0"';

/** A process of `steps` in sequence: [element XML without id/flows, id]. */
function sequence(processId: string, steps: Array<{ id: string; xml: (id: string) => string }>): string {
  const ids = ['Start', ...steps.map((s) => s.id), 'End'];
  const flows = ids.slice(1).map((to, i) => ({ id: `Flow_${i}`, from: ids[i]!, to }));
  const incoming = (id: string) => flows.filter((f) => f.to === id).map((f) => `<bpmn:incoming>${f.id}</bpmn:incoming>`).join('');
  const outgoing = (id: string) => flows.filter((f) => f.from === id).map((f) => `<bpmn:outgoing>${f.id}</bpmn:outgoing>`).join('');
  const body = [
    `<bpmn:startEvent id="Start">${outgoing('Start')}</bpmn:startEvent>`,
    ...steps.map((s) => s.xml(s.id).replace('__FLOWS__', incoming(s.id) + outgoing(s.id))),
    `<bpmn:endEvent id="End">${incoming('End')}</bpmn:endEvent>`,
    ...flows.map((f) => `<bpmn:sequenceFlow id="${f.id}" sourceRef="${f.from}" targetRef="${f.to}" />`),
  ].join('\n    ');
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${NS} id="Defs_${processId}" targetNamespace="http://bpmn.io/schema/bpmn" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0">
  <bpmn:process id="${processId}" isExecutable="true">
    ${body}
  </bpmn:process>
</bpmn:definitions>
`;
}

const service = (type: string) => (id: string) =>
  `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" retries="3" /></bpmn:extensionElements>__FLOWS__</bpmn:serviceTask>`;
const user = (id: string) => `<bpmn:userTask id="${id}"><bpmn:extensionElements><zeebe:userTask /></bpmn:extensionElements>__FLOWS__</bpmn:userTask>`;
const call = (processId: string) => (id: string) =>
  `<bpmn:callActivity id="${id}"><bpmn:extensionElements><zeebe:calledElement processId="${processId}" propagateAllChildVariables="false" /></bpmn:extensionElements>__FLOWS__</bpmn:callActivity>`;

/** Writes the two models to a temporary folder and returns their paths. */
export function writeBaselineModels(): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-bench-'));
  const parent = sequence(BASELINE_PARENT, [
    { id: 'Task_Prepare', xml: service(BASELINE_JOB_TYPES[0]) },
    { id: 'Call_P10', xml: call(BASELINE_CHILD) },
  ]);
  const child = sequence(BASELINE_CHILD, [
    { id: 'Task_UploadCsr', xml: user },
    { id: 'Task_ReviewCsr', xml: service(BASELINE_JOB_TYPES[1]) },
    { id: 'Task_EditRequest', xml: user },
    { id: 'Task_Issue', xml: service(BASELINE_JOB_TYPES[2]) },
    { id: 'Task_Download', xml: user },
  ]);
  const files = [path.join(dir, `${BASELINE_PARENT}.bpmn`), path.join(dir, `${BASELINE_CHILD}.bpmn`)];
  fs.writeFileSync(files[0]!, parent);
  fs.writeFileSync(files[1]!, child);
  return files;
}
