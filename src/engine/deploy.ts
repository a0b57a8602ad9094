/**
 * Deploys every process model (`bpmn/*.bpmn`) and form (`forms/*.form`) in ONE deployment, so a
 * user task's `zeebe:formDefinition bindingType="deployment"` finds its form.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CamundaRestClient } from '@camunda8/sdk';
import { PROJECT_ROOT } from '../config';

export interface DeploymentSummary {
  deploymentKey: string;
  processes: Array<{ processDefinitionId: string; processDefinitionKey: string; version: number }>;
  forms: Array<{ formId: string; formKey: string; version: number }>;
  files: string[];
}

function filesIn(dir: string, extension: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(extension))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The project's models and forms (absolute paths, sorted). */
export function projectResources(root = PROJECT_ROOT): string[] {
  return [...filesIn(path.join(root, 'bpmn'), '.bpmn'), ...filesIn(path.join(root, 'forms'), '.form')];
}

/** Tries of a deployment the broker is too busy to take (504/503). */
const DEPLOY_ATTEMPTS = 4;

/** Deploys `files` as one deployment. */
export async function deployFiles(rest: CamundaRestClient, files: string[]): Promise<DeploymentSummary> {
  if (files.length === 0) throw new Error('Nothing to deploy: no .bpmn or .form files given');
  for (const f of files) {
    if (!fs.existsSync(f)) throw new Error(`Cannot deploy ${f}: file not found`);
  }
  // A broker still busy after its start answers 504 ("request timed out between gateway and
  // broker"; measured with the machine loaded): deploying the same resources again is harmless
  // (the engine keeps the version of an unchanged resource), so it is tried again a few times.
  let res: Awaited<ReturnType<CamundaRestClient['deployResourcesFromFiles']>>;
  for (let attempt = 1; ; attempt++) {
    try {
      res = await rest.deployResourcesFromFiles(files);
      break;
    } catch (err) {
      const busy = /\b50[34]\b|timed out between gateway and broker/i.test((err as Error).message ?? '');
      if (!busy || attempt >= DEPLOY_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, 5_000 * attempt));
    }
  }
  return {
    deploymentKey: String(res.deploymentKey),
    processes: res.processes.map((p) => ({
      processDefinitionId: p.processDefinitionId,
      processDefinitionKey: String(p.processDefinitionKey),
      version: p.processDefinitionVersion,
    })),
    forms: res.forms.map((f) => ({ formId: f.formId, formKey: String(f.formKey), version: f.version })),
    files,
  };
}

export interface DeployAllOptions {
  /** Project root holding bpmn/ and forms/ (default: this project). */
  root?: string;
  /** More files for the same deployment (tests). */
  extraFiles?: string[];
  log?: (line: string) => void;
}

/** Deploys all of bpmn/ and forms/ (plus `extraFiles`) in one deployment. */
export async function deployAll(rest: CamundaRestClient, options: DeployAllOptions = {}): Promise<DeploymentSummary> {
  const { root = PROJECT_ROOT, extraFiles = [], log = console.log } = options;
  const files = [...projectResources(root), ...extraFiles];
  const summary = await deployFiles(rest, files);
  log(
    `[camunda] deployed ${summary.processes.length} process(es) and ${summary.forms.length} form(s) ` +
      `(deployment ${summary.deploymentKey}): ${summary.processes.map((p) => `${p.processDefinitionId} v${p.version}`).join(', ')}`,
  );
  return summary;
}
