/**
 * A P10 enrollment driven as people drive it (Tasklist), and the facts a fault case counts
 * afterwards: certificates at the CA and in the store, transitions in the history, the process
 * in the engine. Shared by the fault specs.
 */
import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { buildCsr } from '../../../src/ca/csr-builder';
import { createAsset } from '../../../src/store/assets';
import type { TestEngine } from '../../support/engine';
import type { TaskDriver } from '../../support/task-driver';
import { aProfile, actor } from '../../integration/store/fixtures';

export interface Enrollment {
  processInstanceKey: string;
  commonName: string;
  assetId: number;
  profileId: number;
}

let n = 0;

/** Starts AssetsProcEnrollProfile on a new P10 profile and asset (approval first when `approval`). */
export async function startP10Enrollment(engine: TestEngine, pool: Pool, tag: string, { approval = false } = {}): Promise<Enrollment> {
  const commonName = `${tag}-${Date.now().toString(36)}-${++n}.corp.example.com`;
  // With approval, the approvers have an address (the profile's), so their email is sent too.
  const profile = await aProfile(pool, { protocol: 'P10', allowedDnsSuffixes: ['corp.example.com'], enrollmentApprovalRequired: approval, ...(approval ? { approverEmails: ['certificate-agents@example.test'] } : {}) });
  const asset = await createAsset(pool, { name: commonName, commonName, dnsNames: [commonName] }, actor);
  const r = await engine.clients.rest.createProcessInstance({
    processDefinitionId: 'AssetsProcEnrollProfile',
    variables: { requester: 'operator', requesterEmail: 'operator@example.test', profileId: profile.id, assetId: asset.id },
  });
  return { processInstanceKey: String(r.processInstanceKey), commonName, assetId: asset.id, profileId: profile.id };
}

/** A PEM CSR for `commonName` (RSA 2048, the name as its DNS name). */
export function csrFor(commonName: string): string {
  const der = buildCsr({ keyPair: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), commonName, dnsNames: [commonName] });
  return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
}

/** Uploads the CSR and confirms the request: what leads to `enroll.p10.issue`. */
export async function submitCsr(tasks: TaskDriver, enrollment: Enrollment): Promise<string> {
  const sub = await tasks.child(enrollment.processInstanceKey, 'AssetsSubProcEnrollP10Profile');
  await tasks.complete(sub, 'Task_UploadCsr', 'operator', { csr: csrFor(enrollment.commonName), nextAction: 'next' });
  await tasks.complete(sub, 'Task_EditRequest', 'operator', { commonName: enrollment.commonName, dnsNames: enrollment.commonName, nextAction: 'next' });
  return sub;
}

export interface EnrollmentFacts {
  /** Certificates the CA issued for the enrollment's name. */
  atCa: number;
  /** Certificate objects of the asset in the store, and their states. */
  inStore: string[];
  /** History rows of the certificate object becoming Valid. */
  validTransitions: number;
  /** History rows of the request becoming Completed. */
  completedTransitions: number;
  /** The store's certificate's serial is the CA's. */
  serialsAgree: boolean;
}

export async function enrollmentFacts(pool: Pool, e: Enrollment): Promise<EnrollmentFacts> {
  const ca = await pool.query<{ serial: string }>('SELECT serial FROM ca_certificates WHERE $1 = ANY (dns_names)', [e.commonName]);
  const store = await pool.query<{ id: number; state: string; serial: string | null }>('SELECT id, state, serial FROM certificates WHERE asset_id = $1 ORDER BY id', [e.assetId]);
  const ids = store.rows.map((r) => String(r.id));
  const valid = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_history WHERE object_type = 'certificate' AND object_id = ANY ($1) AND to_state = 'Valid'`, [ids]);
  const completed = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM audit_history WHERE object_type = 'request' AND to_state = 'Completed'
        AND object_id IN (SELECT id::text FROM requests WHERE asset_id = $1)`,
    [e.assetId],
  );
  const storeSerials = store.rows.map((r) => r.serial?.toLowerCase()).filter(Boolean);
  return {
    atCa: ca.rows.length,
    inStore: store.rows.map((r) => r.state),
    validTransitions: valid.rows[0]!.n,
    completedTransitions: completed.rows[0]!.n,
    serialsAgree: ca.rows.length === 1 && storeSerials.length === 1 && storeSerials[0] === ca.rows[0]!.serial.toLowerCase(),
  };
}

/** The engine's state of a process instance (COMPLETED, ACTIVE ...), or 'unknown'. */
export async function instanceState(engine: TestEngine, processInstanceKey: string): Promise<string> {
  return (await engine.api.searchProcessInstances({ processInstanceKey }))[0]?.state ?? 'unknown';
}
