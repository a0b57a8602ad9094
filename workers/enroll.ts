/**
 * Enroll profile (spec 002): AssetsProcEnrollProfile and its P10, P12, ACME and SCEP
 * sub-processes. Every enrollment has a request (Completed, or Failed with the reason) and a
 * certificate object: 'Certificate requested' -> 'Valid' for P10/P12, 'Requested' ->
 * 'Registered' for ACME/SCEP. Secrets (PKCS#12 password, EAB HMAC key, SCEP challenge) go into
 * a one-time secret link for the enrollment's requester, never into a process variable: the
 * variables get the link's id and the address of its page, which opens only for the requester
 * signed in (issue 17.7).
 */
import { z } from 'zod';
import type { Pool } from 'pg';
import type { CaConnector } from '../src/ca/connector';
import { isCaError } from '../src/ca/errors';
import { checkDnsNames } from '../src/ca/dns-policy';
import { approveNames } from '../src/ca/request-policy';
import { certificateRecord, toCaProfile, type SubjectValues } from '../src/ca/store-profile';
import { CaError, CaErrorCode } from '../src/ca/errors';
import { createAsset, getAsset, searchAssets, type Asset } from '../src/store/assets';
import { assertRequesterMayStart } from '../src/store/authorization';
import { createCertificate, getCertificate, lockCertificateFor, relateToAsset, transitionCertificate } from '../src/store/certificates';
import type { Queryable } from '../src/store/db';
import { applyOnce } from '../src/store/effects';
import { getOptions } from '../src/store/options';
import { enrollmentBlocker, getProfile, type CertificateProfile } from '../src/store/profiles';
import { recordRegistration } from '../src/store/registrations';
import { createRequest, getRequest, relateToCertificate, transitionRequest } from '../src/store/requests';
import { createSecretLink, type Sealer, type SecretKind } from '../src/store/secret-links';
import { withRefusalOnHistory } from './refusals';
import { supersedePrevious } from './supersede';
import { revokeAtCa } from './ca';
import { BpmnError, defineHandler, type JobInfo } from './runtime';

export interface EnrollDeps {
  pool: Pool;
  ca: CaConnector;
  /** Seals one-time secret links (the master key). */
  sealer: Sealer;
  /** Base URL of the API, for download links and the pages of one-time secrets. */
  publicUrl: string;
  secretLinkTtlMinutes: number;
}

export const ENROLL = 'AssetsProcEnrollProfile';

const id = z.coerce.number().int().positive();
const optionalId = id.optional().nullable();
/** DNS names as the operator types them: a list, or comma-separated (spec 002). */
const dnsList = z
  .union([z.array(z.string()), z.string()])
  .optional()
  .nullable()
  .transform((v) => (v == null ? [] : (Array.isArray(v) ? v : v.split(','))).map((d) => d.trim().toLowerCase()).filter((d) => d !== ''));

/** The values that fill a profile's subject template: the asset's data, then the form's. */
function subjectValues(asset: Asset | undefined, commonName?: string): SubjectValues {
  return {
    commonName: commonName ?? asset?.commonName ?? undefined,
    organization: asset?.organization ?? undefined,
    organizationalUnit: asset?.organizationalUnit ?? undefined,
    locality: asset?.locality ?? undefined,
    country: asset?.country ?? undefined,
  };
}

/** A CA refusal is a business outcome the model catches (back to the form, with the message). */
async function caCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isCaError(err)) throw new BpmnError('CA_REFUSED', err.message, { caErrorCode: err.code });
    throw err;
  }
}

async function profileAndAsset(q: Queryable, certificateId: number) {
  const cert = await getCertificate(q, certificateId);
  const profile = await getProfile(q, cert.profileId);
  const asset = cert.assetId ? await getAsset(q, cert.assetId) : undefined;
  return { cert, profile, asset };
}

async function completeRequest(q: Queryable, requestId: number, ctx: { actor: string; processInstanceKey: string }) {
  const r = await getRequest(q, requestId);
  if (r.state !== 'Completed') await transitionRequest(q, requestId, 'Completed', { ...ctx, reason: 'enrollment completed' });
}

export function createEnrollHandlers(deps: EnrollDeps) {
  const { pool, ca, sealer, publicUrl } = deps;

  /**
   * Keeps a secret for the enrollment's requester, as the store recorded them when the
   * enrollment started, not as a variable says now. What the process gets is no secret: the
   * link's id and its page, which opens only for that person signed in (issue 17.7).
   */
  async function secretLink(q: Queryable, kind: SecretKind, requestId: number, subjectRef: string, payload: Record<string, unknown>) {
    const owner = (await getRequest(q, requestId)).requester;
    const link = await createSecretLink(q, sealer, { kind, subjectRef, owner, ttlMinutes: deps.secretLinkTtlMinutes, payload });
    return { secretLinkId: link.id, secretLinkPageUrl: `${publicUrl}/api/secret-links/${link.id}`, secretLinkExpiresAt: link.expiresAt.toISOString() };
  }

  /** What a job that made a secret link answers: never the secret, never anything that opens it. */
  const secretLinkOutput = { secretLinkId: z.string().uuid(), secretLinkPageUrl: z.string(), secretLinkExpiresAt: z.string() };

  /**
   * Start of AssetsProcEnrollProfile, on an Active profile (and an Active asset when started on
   * one): creates the request and the certificate object, and returns what the flow needs —
   * the protocol to route by, whether approval comes first, and the asset's data to pre-fill.
   */
  const prepare = defineHandler({
    type: 'enroll.prepare',
    input: z.object({ profileId: id, assetId: optionalId, requester: z.string().min(1), requesterEmail: z.string().optional().nullable() }),
    output: z.object({
      requestId: z.number(),
      certificateId: z.number(),
      protocol: z.enum(['P10', 'P12', 'ACME', 'SCEP']),
      approvalRequired: z.boolean(),
      domainPolicy: z.string(),
      commonName: z.string(),
      dnsNames: z.string(),
    }),
    async handle(v, job) {
      // A refusal here (disabled, not Active, unknown, an ACME profile without a domain policy) is
      // written to the history of the profile and the asset the use case was started on (issue 18.8).
      const targets = [
        { objectType: 'certificate profile' as const, objectId: v.profileId, label: 'Enroll profile' },
        ...(v.assetId ? [{ objectType: 'asset' as const, objectId: v.assetId, label: 'Enroll profile' }] : []),
      ];
      return withRefusalOnHistory(pool, job, targets, v.requester, () => prepareOnce(v, job));
    },
  });

  async function prepareOnce(v: { profileId: number; assetId?: number | null; requester: string; requesterEmail?: string | null }, job: JobInfo) {
    const { result } = await applyOnce(pool, `${job.key}:prepare`, 'enroll.prepare', async (tx) => {
      // An unknown profile or asset is a refusal (NOT_FOUND, caught in the model; issue 18.8), before who may.
      await getProfile(tx, v.profileId);
      if (v.assetId) await getAsset(tx, v.assetId);
      // Who may enroll on this asset, or without one (issue 17.11), as the API checks before it starts.
      await assertRequesterMayStart(tx, v, ENROLL, 'certificate-profile', v.profileId, v.assetId);
      const options = await getOptions(tx, ENROLL);
      if (!options.enabled) throw new BpmnError('USE_CASE_DISABLED', 'Enroll profile is disabled by an admin');
      const profile = await getProfile(tx, v.profileId);
      if (profile.state !== 'Active') throw new BpmnError('STATE_CONFLICT', `certificate profile ${profile.name} is '${profile.state}': only an Active profile can be enrolled`);
      const unenrollable = enrollmentBlocker(profile);
      if (unenrollable) throw new BpmnError('STATE_CONFLICT', unenrollable);
      const asset = v.assetId ? await getAsset(tx, v.assetId) : undefined;
      if (asset && asset.state !== 'Active') throw new BpmnError('STATE_CONFLICT', `asset ${asset.name} is '${asset.state}': enrollment needs an Active asset`);
      const ctx = { actor: v.requester, processInstanceKey: job.processInstanceKey };
      const commonName = asset?.commonName ?? asset?.name ?? '';
      const dnsNames = asset?.dnsNames ?? [];
      const request = await createRequest(
        tx,
        {
          type: 'enrollment',
          useCase: ENROLL,
          requester: v.requester,
          requesterEmail: v.requesterEmail ?? undefined,
          profileId: profile.id,
          assetId: asset?.id,
          details: { protocol: profile.protocol, commonName, dnsNames },
          processInstanceKey: job.processInstanceKey,
        },
        ctx,
      );
      const registration = profile.protocol === 'ACME' || profile.protocol === 'SCEP';
      const cert = await createCertificate(
        tx,
        {
          state: registration ? 'Requested' : 'Certificate requested',
          profileId: profile.id,
          assetId: asset?.id,
          subject: commonName ? `CN=${commonName}` : `(pending) ${profile.name}`,
          dnsNames,
        },
        ctx,
      );
      await relateToCertificate(tx, request.id, cert.id, ctx);
      return {
        requestId: request.id,
        certificateId: cert.id,
        protocol: profile.protocol,
        approvalRequired: profile.enrollmentApprovalRequired || options.approvalStep,
        domainPolicy: profile.allowedDnsSuffixes.join(', '),
        commonName,
        dnsNames: dnsNames.join(', '),
      };
    });
    return result;
  }

  /**
   * "Check certificate data" (P12, ACME, SCEP), before approval: the entered common name and
   * DNS names checked by the rules the CA applies (domain policy, TLS server names), so that the
   * approver sees, and the CA gets, exactly what will be issued (issue 18.2). ACME binds an
   * account to DNS names: it needs at least one (issue 18.4).
   */
  const checkData = defineHandler({
    type: 'enroll.check-data',
    input: z.object({ certificateId: id, commonName: z.string().optional().nullable(), dnsNames: dnsList }),
    output: z.object({ commonName: z.string(), dnsNames: z.string() }),
    async handle(v) {
      const { profile, asset } = await profileAndAsset(pool, v.certificateId);
      const caProfile = toCaProfile(profile, subjectValues(asset, v.commonName ?? undefined));
      return caCall(async () => {
        if (profile.protocol === 'ACME') {
          const names = checkDnsNames(v.dnsNames, caProfile);
          if (names.length === 0) {
            throw new CaError(CaErrorCode.SUBJECT_MISSING, `an ACME registration needs at least one DNS name under ${profile.allowedDnsSuffixes.join(', ')}: enter the names the asset may obtain certificates for`);
          }
          return { commonName: v.commonName?.trim() || names[0]!, dnsNames: names.join(', ') };
        }
        const approved = approveNames({ commonName: v.commonName ?? undefined, dnsNames: v.dnsNames }, caProfile);
        return { commonName: approved.commonName, dnsNames: approved.dnsNames.join(', ') };
      });
    },
  });

  /** P10 "Upload CSR" and "Edit the server request": what would be issued, or the CA's reason why not. */
  const reviewCsr = defineHandler({
    type: 'enroll.p10.review-csr',
    // Set on "Upload CSR": a missing or mistyped one goes back to that form with the reason (issue 15.7).
    formFields: ['csr', 'commonName', 'dnsNames'],
    formRefusal: 'CA_REFUSED',
    input: z.object({ certificateId: id, csr: z.string().min(1, 'paste the CSR (PEM)'), commonName: z.string().optional().nullable(), dnsNames: dnsList }),
    output: z.object({ commonName: z.string(), dnsNames: z.string(), subject: z.string(), keyDescription: z.string() }),
    async handle(v) {
      const { profile, asset } = await profileAndAsset(pool, v.certificateId);
      const edits = { ...(v.commonName ? { commonName: v.commonName } : {}), ...(v.dnsNames.length ? { dnsNames: v.dnsNames } : {}) };
      const review = await caCall(async () => ca.reviewCsr({ csr: v.csr, profile: toCaProfile(profile, subjectValues(asset, v.commonName ?? undefined)), edits }));
      return {
        commonName: review.commonName,
        dnsNames: review.dnsNames.join(', '),
        subject: review.subject,
        keyDescription: `${review.keyAlgorithm} ${review.keySize} bits`,
      };
    },
  });

  /** P10 issuance: the certificate object becomes 'Valid' with the issued certificate; the request is Completed. */
  const issueP10 = defineHandler({
    type: 'enroll.p10.issue',
    // Set on "Edit the server request": a mistyped one goes back to that form (issue 15.7).
    formFields: ['commonName', 'dnsNames'],
    formRefusal: 'CA_REFUSED',
    input: z.object({ certificateId: id, requestId: id, csr: z.string().min(1), commonName: z.string().optional().nullable(), dnsNames: dnsList, operator: z.string().min(1) }),
    output: z.object({ serialNumber: z.string(), certificateUrl: z.string(), chainUrl: z.string() }),
    async handle(v, job: JobInfo) {
      const ctx = { actor: v.operator, processInstanceKey: job.processInstanceKey };
      const { result } = await applyOnce(pool, `${job.key}:issue`, 'enroll.p10.issue', async (tx) => {
        // Locked and checked before the CA signs: a cancelled (Rejected) object gets nothing issued (issue 17.4).
        await lockCertificateFor(tx, v.certificateId, 'Valid');
        const { cert, profile, asset } = await profileAndAsset(tx, v.certificateId);
        const edits = { ...(v.commonName ? { commonName: v.commonName } : {}), ...(v.dnsNames.length ? { dnsNames: v.dnsNames } : {}) };
        const issued = await caCall(() =>
          ca.within(tx).issueFromCsr({ idempotencyKey: `${job.key}:p10`, csr: v.csr, profile: toCaProfile(profile, subjectValues(asset, v.commonName ?? undefined)), edits }),
        );
        await transitionCertificate(tx, cert.id, 'Valid', ctx, certificateRecord(issued));
        // Re-enrollment: the asset's earlier certificate of this profile is Superseded (issue 18.12).
        await supersedePrevious(tx, ca.within(tx), cert, ctx, job.key);
        await completeRequest(tx, v.requestId, ctx);
        return { serialNumber: issued.serialNumber };
      });
      return {
        ...result,
        certificateUrl: `${publicUrl}/api/certificates/${v.certificateId}/download?format=pem`,
        chainUrl: `${publicUrl}/api/certificates/${v.certificateId}/download?format=chain`,
      };
    },
  });

  /**
   * P12: key pair generated at the CA, the certificate object 'Valid', and a one-time secret for
   * the requester that shows the password once and downloads the PKCS#12. Neither is ever a
   * process variable.
   */
  const generateP12 = defineHandler({
    type: 'enroll.p12.generate',
    input: z.object({ certificateId: id, requestId: id, commonName: z.string().min(1, 'enter the common name'), dnsNames: dnsList, operator: z.string().min(1) }),
    output: z.object({ serialNumber: z.string(), ...secretLinkOutput }),
    async handle(v, job) {
      const ctx = { actor: v.operator, processInstanceKey: job.processInstanceKey };
      const { result } = await applyOnce(pool, `${job.key}:p12`, 'enroll.p12.generate', async (tx) => {
        await lockCertificateFor(tx, v.certificateId, 'Valid');
        const { cert, profile, asset } = await profileAndAsset(tx, v.certificateId);
        const generated = await caCall(() =>
          ca.within(tx).generateKeyPair({ idempotencyKey: `${job.key}:p12`, profile: toCaProfile(profile, subjectValues(asset, v.commonName)), commonName: v.commonName, dnsNames: v.dnsNames }),
        );
        if (!generated.password) {
          // The CA's record commits with this effect, so a replay without the password means the
          // key was generated outside this job's effect: it cannot be shown again. Recorded as
          // this job's outcome (a retry finds it), and handled below, outside the transaction.
          return { lostSerialNumber: generated.serialNumber } as const;
        }
        await transitionCertificate(tx, cert.id, 'Valid', ctx, certificateRecord(generated));
        await supersedePrevious(tx, ca.within(tx), cert, ctx, job.key);
        const link = await secretLink(tx, 'pkcs12', v.requestId, `certificate:${cert.id}`, { pkcs12Id: generated.pkcs12Id, password: generated.password });
        return { serialNumber: generated.serialNumber, ...link };
      });
      const lost = (result as { lostSerialNumber?: string }).lostSerialNumber;
      if (lost) {
        // Issue 18.12: not an incident. The certificate whose key nobody can have is revoked at the
        // CA, and the operator goes back to the certificate data (CA_REFUSED, which the model
        // routes there with the message): Next generates a new key, Cancel ends the enrollment.
        await revokeAtCa(ca, lost, `${job.key}:p12:lost`, 'cessationOfOperation').catch((err: unknown) => {
          if (!(err instanceof BpmnError)) throw err; // revoked already for another reason: nothing to add
        });
        throw new BpmnError(
          'CA_REFUSED',
          `the PKCS#12 password of an earlier attempt was lost, so its certificate (serial ${lost}) is revoked: choose Next to generate a new key, or Cancel`,
          { caErrorCode: 'PKCS12_PASSWORD_LOST' },
        );
      }
      return result as Exclude<typeof result, { lostSerialNumber: string }>;
    },
  });

  /** ACME (spec 002): an External Account Binding bound to the DNS names; credentials through a one-time secret. */
  const registerAcme = defineHandler({
    type: 'enroll.acme.register',
    input: z.object({ certificateId: id, requestId: id, dnsNames: dnsList, operator: z.string().min(1) }),
    output: z.object({ registrationId: z.string(), ...secretLinkOutput }),
    async handle(v, job) {
      return register(v, job, 'acme-eab', async (atCa: CaConnector, profile: CertificateProfile, assetRef: string) => {
        const r = await atCa.registerAcme({ idempotencyKey: `${job.key}:acme`, assetRef, profile: toCaProfile(profile), dnsNames: v.dnsNames });
        return { registrationId: r.registrationId, secret: r.hmacKey ? { keyId: r.keyId, hmacKey: r.hmacKey } : undefined, dnsNames: v.dnsNames };
      });
    },
  });

  /** SCEP (spec 002): a one-time challenge password bound to the asset and subject, through a one-time secret. */
  const registerScep = defineHandler({
    type: 'enroll.scep.register',
    input: z.object({ certificateId: id, requestId: id, commonName: z.string().min(1, 'enter the common name'), dnsNames: dnsList, operator: z.string().min(1) }),
    output: z.object({ registrationId: z.string(), ...secretLinkOutput }),
    async handle(v, job) {
      return register(v, job, 'scep-challenge', async (atCa: CaConnector, profile: CertificateProfile, assetRef: string) => {
        const r = await atCa.registerScep({ idempotencyKey: `${job.key}:scep`, assetRef, profile: toCaProfile(profile), commonName: v.commonName, dnsNames: v.dnsNames });
        return { registrationId: r.registrationId, secret: r.challengePassword ? { challengePassword: r.challengePassword } : undefined, dnsNames: v.dnsNames, commonName: v.commonName };
      });
    },
  });

  /** Shared by ACME and SCEP: register at the CA, certificate object 'Requested' -> 'Registered', request Completed. */
  async function register(
    v: { certificateId: number; requestId: number; operator: string },
    job: JobInfo,
    kind: SecretKind,
    atCa: (ca: CaConnector, profile: CertificateProfile, assetRef: string) => Promise<{ registrationId: string; secret?: Record<string, string>; dnsNames: string[]; commonName?: string }>,
  ) {
    const ctx = { actor: v.operator, processInstanceKey: job.processInstanceKey };
    const { result } = await applyOnce(pool, `${job.key}:register`, `enroll.${kind}`, async (tx) => {
      await lockCertificateFor(tx, v.certificateId, 'Registered');
      const { cert, profile } = await profileAndAsset(tx, v.certificateId);
      const r = await caCall(() => atCa(ca.within(tx), profile, cert.assetId ? `asset:${cert.assetId}` : `certificate:${cert.id}`));
      if (!r.secret) throw new Error(`the ${kind} secret of certificate ${cert.id} was lost in an earlier attempt; cancel and enroll again`);
      // Deregistration of this object finds its CA registration here (issue 12.3).
      await recordRegistration(tx, { certificateId: cert.id, protocol: kind === 'acme-eab' ? 'ACME' : 'SCEP', registrationId: r.registrationId });
      await transitionCertificate(tx, cert.id, 'Registered', ctx, {
        dnsNames: r.dnsNames,
        ...(r.commonName ? { subject: `CN=${r.commonName}` } : {}),
      });
      await completeRequest(tx, v.requestId, ctx);
      const link = await secretLink(tx, kind, v.requestId, `certificate:${cert.id}`, { registrationId: r.registrationId, ...r.secret });
      return { registrationId: r.registrationId, ...link };
    });
    return result;
  }

  /** P12 "Search asset": the Active assets to choose from (newest first), for the form's select. */
  const listAssets = defineHandler({
    type: 'enroll.list-assets',
    input: z.object({}).passthrough(),
    output: z.object({ assetOptions: z.array(z.object({ label: z.string(), value: z.string() })) }),
    async handle() {
      const page = await searchAssets(pool, { state: 'Active', limit: 100 });
      return { assetOptions: page.items.map((a) => ({ label: a.dnsNames.length ? `${a.name} (${a.dnsNames.join(', ')})` : a.name, value: String(a.id) })) };
    },
  });

  /**
   * P12 "Search asset": relates the enrollment to the chosen asset, or to a new one the
   * operator named (spec 002: "select an existing asset or create an asset"); its data pre-fills.
   */
  const attachAsset = defineHandler({
    type: 'enroll.attach-asset',
    input: z.object({
      certificateId: id,
      assetId: optionalId,
      newAssetName: z.string().optional().nullable(),
      newAssetDnsNames: dnsList,
      operator: z.string().min(1),
    }),
    output: z.object({ assetId: z.number(), commonName: z.string(), dnsNames: z.string() }),
    async handle(v, job) {
      const name = v.newAssetName?.trim();
      if (Boolean(v.assetId) === Boolean(name)) throw new BpmnError('VALIDATION', 'choose an existing asset or enter the name of a new one (not both)');
      // A name that is taken is the operator's to correct on the form, not an incident (issue 18.13).
      const taken = (name: string) => new BpmnError('VALIDATION', `an asset named '${name}' exists already: choose it under "Existing asset", or give the new asset another name`);
      const { result } = await applyOnce(pool, `${job.key}:attach-asset`, 'enroll.attach-asset', async (tx) => {
        // Inside the effect: a retry of a delivery that created the asset replays its result instead.
        if (name && (await tx.query('SELECT 1 FROM assets WHERE name = $1', [name])).rowCount) throw taken(name);
        const ctx = { actor: v.operator, processInstanceKey: job.processInstanceKey };
        const asset = name
          ? await createAsset(tx, { name, dnsNames: v.newAssetDnsNames, ...(v.newAssetDnsNames[0] ? { commonName: v.newAssetDnsNames[0] } : {}) }, ctx).catch((err: { code?: string; constraint?: string }) => {
              // Created by someone else since the check.
              throw err.code === '23505' && err.constraint === 'assets_name_key' ? taken(name) : err;
            })
          : await getAsset(tx, v.assetId!);
        if (asset.state !== 'Active') throw new BpmnError('STATE_CONFLICT', `asset ${asset.name} is '${asset.state}': enrollment needs an Active asset`);
        await relateToAsset(tx, v.certificateId, asset.id, ctx);
        return { assetId: asset.id, commonName: asset.commonName ?? asset.name, dnsNames: asset.dnsNames.join(', ') };
      });
      return result;
    },
  });

  /** P12 ends when the operator confirms the installation: the request is Completed. */
  const complete = defineHandler({
    type: 'enroll.complete',
    input: z.object({ requestId: id, operator: z.string().min(1) }),
    output: z.object({ requestState: z.literal('Completed') }),
    async handle(v, job) {
      await completeRequest(pool, v.requestId, { actor: v.operator, processInstanceKey: job.processInstanceKey });
      return { requestState: 'Completed' as const };
    },
  });

  /**
   * A step failed for good, or the operator cancelled: the request is Failed with the reason and
   * a certificate object that was never issued is 'Rejected' — nothing is left half-written.
   */
  const fail = defineHandler({
    type: 'enroll.fail',
    input: z.object({ requestId: id, certificateId: id, reason: z.string().min(1), operator: z.string().min(1) }),
    output: z.object({ requestState: z.literal('Failed') }),
    async handle(v, job) {
      const ctx = { actor: v.operator, processInstanceKey: job.processInstanceKey, reason: v.reason };
      await applyOnce(pool, `${job.key}:fail`, 'enroll.fail', async (tx) => {
        const r = await getRequest(tx, v.requestId);
        if (r.state !== 'Failed' && r.state !== 'Completed' && r.state !== 'Rejected') {
          await transitionRequest(tx, r.id, 'Failed', ctx, { failureReason: v.reason });
        }
        const cert = await getCertificate(tx, v.certificateId);
        if (cert.state === 'Certificate requested' || cert.state === 'Requested') await transitionCertificate(tx, cert.id, 'Rejected', ctx);
        return null;
      });
      return { requestState: 'Failed' as const };
    },
  });

  return [prepare, checkData, reviewCsr, issueP10, listAssets, attachAsset, generateP12, registerAcme, registerScep, complete, fail];
}
