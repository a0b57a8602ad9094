/**
 * Camunda Modeler element templates for every worker and for the approval step, generated from
 * the handler registry (job type, input and output schemas), so they cannot drift from the
 * workers. `npm run templates` writes element-templates/workplace-pki.json; a test checks the
 * file is current and valid against Camunda's element template schema.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../src/config';
import { createAllHandlers, type WorkerDeps } from '../workers';
import type { AnyJobHandler } from '../workers/runtime';

export const TEMPLATES_FILE = path.join(PROJECT_ROOT, 'element-templates', 'workplace-pki.json');
const SCHEMA = 'https://unpkg.com/@camunda/zeebe-element-templates-json-schema/resources/schema.json';

/** The Modeler's name and description of each job type. */
const TASKS: Readonly<Record<string, [name: string, description: string]>> = {
  'approval.create-request': ['Create approval request', 'Creates the request (or sends an enrollment\'s request) for approval: state Requested.'],
  'approval.notify-approvers': ['Email the approvers', 'Emails the approvers of the request once, with a link to Tasklist.'],
  'approval.load-request': ['Load request', 'Reads the request for the approval form; STATE_CONFLICT when it is not Requested.'],
  'approval.check-decision': ['Check decision', 'After "Approve request": the engine says who completed it; refuses self-approval, non-members of the approver group and rejections without reason (approvalState "refused" + decisionRefusal, loop back to the task), else applies the decision.'],
  'approval.decide': ['Record decision', 'Approve, reject (reason required) or hold a request, with four-eyes; the certificate object is Rejected on rejection.'],
  'approval.notify-requester': ['Email the requester', 'Tells the requester that the request was approved or rejected (with the reason).'],
  'cards.check-deactivate': ['Check card for deactivation', 'The card must be active; reads the admin option "approval step".'],
  'cards.deactivate': ['Deactivate card', 'Card inactive, active relations deactivated, valid certificates on hold at the CA and in the store. No email.'],
  'cards.check-reactivate': ['Check virtual smart card for reactivation', 'An inactive virtual smart card, with the command enabled by an admin.'],
  'cards.reactivate': ['Reactivate virtual smart card', 'Card active; its certificates released at the CA, on hold in the store.'],
  'ca.check-lock': ['Check certificate for lock', 'Valid or held certificate; says whether its profile requires approval for lock/revocation.'],
  'ca.lock-certificate': ['Lock or revoke certificate', 'certificateHold or an RFC 5280 revocation reason, at the CA and in the store.'],
  'ca.check-unlock': ['Check certificate for unlock', 'A certificate on hold (not on an inactive card), the use case enabled (issue 18.12).'],
  'ca.unlock-certificate': ['Unlock certificate', 'Released from hold at the CA (decided from its status) and Valid in the store, with history.'],
  'enroll.prepare': ['Prepare enrollment', 'Checks profile and asset are Active, creates the request and the certificate object, pre-fills from the asset.'],
  'enroll.p10.review-csr': ['Check CSR', 'Parses and checks the CSR (with the operator\'s edits) against the profile and domain policy, as it would be issued; CA_REFUSED with the reason.'],
  'enroll.check-data': ['Check certificate data', 'Checks the entered common name and DNS names by the CA\'s rules (domain policy; ACME needs a DNS name) before approval; CA_REFUSED with the reason.'],
  'enroll.p10.issue': ['Issue P10 certificate', 'Issues from the CSR; certificate object Valid, request Completed.'],
  'enroll.list-assets': ['List active assets', 'The Active assets for the "Search asset" form (assetOptions).'],
  'enroll.attach-asset': ['Relate the asset', 'Relates the enrollment to the chosen asset, or to a new one; VALIDATION when both or neither.'],
  'enroll.p12.generate': ['Generate P12', 'Key pair and certificate at the CA; the password and PKCS#12 only through a one-time link.'],
  'enroll.acme.register': ['Register for ACME', 'External Account Binding at the CA; credentials only through a one-time link.'],
  'enroll.scep.register': ['Register for SCEP', 'One-time challenge password at the CA, only through a one-time link.'],
  'enroll.complete': ['Complete enrollment request', 'The enrollment request becomes Completed.'],
  'assets.check-assign-profile': ['Check asset for a profile', 'The asset must be Pending and the use case enabled; lists the Active certificate profiles (profileOptions).'],
  'assets.assign-profile': ['Assign certificate profile', 'The chosen Active profile is assigned; asset Pending → Active, with history (issue 18.10).'],
  'expiry.expire-certificates': ['Mark expired certificates', 'Valid or held certificates past their notAfter become Certificate expired, with history (issue 18.9).'],
  'expiry.notify-requesters': ['Email requesters before expiry', 'Emails the requester of each Valid certificate that expires within CERTIFICATE_EXPIRY_NOTICE_DAYS, once per certificate.'],
  'expiry.revoke-unclaimed-p12': ['Revoke unclaimed PKCS#12 certificates', 'A certificate whose PKCS#12 link expired unopened is revoked (Cessation of operation) at the CA and in the store, with history (issue 18.13).'],
  'enroll.fail': ['Fail enrollment', 'Request Failed with the reason; an unissued certificate object Rejected.'],
};

type Property = Record<string, unknown>;

function fieldsOf(schema: z.ZodType): { names: string[]; required: Set<string> } {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; required?: string[] };
  return { names: Object.keys(json.properties ?? {}), required: new Set(json.required ?? []) };
}

function serviceTaskTemplate(h: AnyJobHandler): Record<string, unknown> {
  const described = TASKS[h.type];
  if (!described) throw new Error(`no Modeler name for job type ${h.type}: add it to TASKS in scripts/element-templates.ts`);
  const [name, description] = described;
  const inputs = fieldsOf(h.input);
  const outputs = fieldsOf(h.output);
  const properties: Property[] = [
    { type: 'Hidden', value: h.type, binding: { type: 'zeebe:taskDefinition', property: 'type' } },
    { label: 'Retries', type: 'String', value: '3', binding: { type: 'zeebe:taskDefinition', property: 'retries' }, group: 'job' },
    ...inputs.names.map((n) => ({
      label: n,
      type: 'String',
      feel: 'required',
      value: `=${n}`,
      group: 'inputs',
      ...(inputs.required.has(n) ? { constraints: { notEmpty: true } } : { optional: true }),
      binding: { type: 'zeebe:input', name: n },
    })),
    ...outputs.names.map((n) => ({
      label: `${n} → process variable`,
      type: 'String',
      value: n,
      group: 'outputs',
      binding: { type: 'zeebe:output', source: `=${n}` },
    })),
  ];
  return {
    $schema: SCHEMA,
    name: `Workplace PKI: ${name}`,
    id: `io.workplace-pki.${h.type}`,
    version: 1,
    description,
    appliesTo: ['bpmn:Task'],
    elementType: { value: 'bpmn:ServiceTask' },
    groups: [
      { id: 'inputs', label: 'Inputs (process variables the worker reads)' },
      { id: 'outputs', label: 'Outputs' },
      { id: 'job', label: 'Job' },
    ],
    properties,
  };
}

function callTemplate(processId: string, name: string, description: string, inputs: string[], outputs: string[]): Record<string, unknown> {
  return {
    $schema: SCHEMA,
    name: `Workplace PKI: ${name}`,
    id: `io.workplace-pki.call.${processId}`,
    version: 1,
    description,
    appliesTo: ['bpmn:Task', 'bpmn:CallActivity'],
    elementType: { value: 'bpmn:CallActivity' },
    properties: [
      { type: 'Hidden', value: processId, binding: { type: 'zeebe:calledElement', property: 'processId' } },
      { type: 'Hidden', value: false, binding: { type: 'zeebe:calledElement', property: 'propagateAllChildVariables' } },
      ...inputs.map((n) => ({ label: n, type: 'String', feel: 'required', value: `=${n}`, optional: true, binding: { type: 'zeebe:input', name: n } })),
      ...outputs.map((n) => ({ label: `${n} → process variable`, type: 'String', value: n, binding: { type: 'zeebe:output', source: `=${n}` } })),
    ],
  };
}

const approveTaskTemplate = {
  $schema: SCHEMA,
  name: 'Workplace PKI: Approve request (user task)',
  id: 'io.workplace-pki.user-task.approve-request',
  version: 1,
  description: 'The certificate agents\' decision (form approve-request). Follow it with the "Check decision" task, which enforces four-eyes, the approver group and the reason for rejection on every engine.',
  appliesTo: ['bpmn:Task', 'bpmn:UserTask'],
  elementType: { value: 'bpmn:UserTask' },
  properties: [
    { type: 'Hidden', value: '', binding: { type: 'zeebe:userTask' } },
    { type: 'Hidden', value: 'approve-request', binding: { type: 'zeebe:formDefinition', property: 'formId' } },
    { label: 'Candidate groups', type: 'String', value: '=[approverGroup]', feel: 'optional', binding: { type: 'zeebe:assignmentDefinition', property: 'candidateGroups' } },
  ],
};

/** Every template, in a stable order. */
export function buildTemplates(): Array<Record<string, unknown>> {
  // Handler factories only capture their dependencies: nothing is called.
  const handlers = createAllHandlers({} as WorkerDeps).filter((h) => !h.listener);
  return [
    ...handlers.map(serviceTaskTemplate),
    approveTaskTemplate,
    callTemplate('AssetsProcApprovalRequest', 'Approval request (call)', 'Spec 001: create the request and email the approvers; returns requestId.', [
      'requestId',
      'useCase',
      'requestType',
      'requester',
      'requesterEmail',
      'profileId',
      'assetId',
      'certificateId',
      'cardId',
      'requestDetails',
    ], ['requestId']),
    callTemplate('AssetsProcApproval', 'Approval (call)', 'Spec 001: a certificate agent decides; returns approvalState (approved or rejected).', ['requestId'], ['approvalState']),
  ];
}

export function renderTemplates(): string {
  return `${JSON.stringify(buildTemplates(), null, 2)}\n`;
}

if (require.main === module) {
  fs.mkdirSync(path.dirname(TEMPLATES_FILE), { recursive: true });
  fs.writeFileSync(TEMPLATES_FILE, renderTemplates());
  console.log(`wrote ${buildTemplates().length} element templates to ${path.relative(PROJECT_ROOT, TEMPLATES_FILE)}`);
}
