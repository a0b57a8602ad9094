/**
 * The SCEP server's operations for one certificate profile (RFC 8894 §3.5, §4): capabilities,
 * the CA certificates, and PKCSReq enrollment with the one-time challenge that
 * AssetsSubProcEnrollSCEPRegistration registered (spec 002). A certificate issued here lands in
 * the store like every other: a certificate object 'Valid' with its history, the CA's record
 * (so revocation and the CRL cover it), and the registration's challenge used up — all in one
 * transaction, so a refused issuance leaves the challenge usable.
 */
import crypto from 'node:crypto';
import type { Pool } from 'pg';
import type { BuiltinCa } from '../ca/builtin-ca';
import { CaError } from '../ca/errors';
import { csrToDer, parseCsr } from '../ca/csr';
import { assetSubjectValues, certificateRecord, toCaProfile } from '../ca/store-profile';
import { getAsset } from '../store/assets';
import { createCertificate, getCertificate } from '../store/certificates';
import { withTransaction, type Queryable } from '../store/db';
import { getProfile, type CertificateProfile } from '../store/profiles';
import { challengePasswordOf } from './challenge-password';
import {
  buildCertRep,
  certificateOf,
  certsOnly,
  FailInfo,
  MessageType,
  openEnvelope,
  readPkiRequest,
  ScepFailure,
  ScepMessageError,
  type PkiRequest,
} from './pki-message';

/**
 * What GetCACaps announces (RFC 8894 §3.5.2): POST for PKIOperation, AES and SHA-256, and
 * SCEPStandard (which implies them). Renewal is not offered: a renewal needs a new challenge.
 */
export const CA_CAPS = ['POSTPKIOperation', 'SHA-256', 'SHA-512', 'AES', 'DES3', 'SCEPStandard'];

/** A body and its media type. */
export interface ScepReply {
  contentType: string;
  body: Buffer;
}

/** Who the store's history names for what the SCEP server does (no person signs in). */
const ACTOR = 'scep';

/** An error the routes answer with an HTTP status and a plain message. */
export class ScepHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ScepServiceDeps {
  pool: Pool;
  ca: BuiltinCa;
  /** One line per refusal or issuance (never the challenge). */
  log?: (line: string) => void;
}

export function createScepService(deps: ScepServiceDeps) {
  const { issuing, root } = deps.ca.authorities();
  if (issuing.privateKey.asymmetricKeyType !== 'rsa') {
    // SCEP encrypts to the CA with RSA key transport; an EC issuing CA cannot take part.
    return undefined;
  }
  const issuingCert = certificateOf(issuing.certificateDer);
  const recipient = { certificate: issuingCert, privateKey: issuing.privateKey };
  const signer = { certificate: issuingCert, sign: (data: Buffer) => issuing.signer.sign(data) };
  // Clients encrypt to every certificate GetCACert names: the root goes along only when it can take RSA key transport.
  const rootKeyType = new crypto.X509Certificate(root.certificateDer).publicKey.asymmetricKeyType;
  const chain = rootKeyType === 'rsa' ? [issuing.certificateDer, root.certificateDer] : [issuing.certificateDer];
  const log = deps.log ?? (() => undefined);

  /** The SCEP profile with this id, Active; otherwise 404. */
  async function scepProfile(q: Queryable, profileId: number): Promise<CertificateProfile> {
    const profile = await getProfile(q, profileId).catch(() => undefined);
    if (!profile || profile.protocol !== 'SCEP') throw new ScepHttpError(404, `no SCEP certificate profile ${profileId}`);
    if (profile.state !== 'Active') throw new ScepHttpError(404, `SCEP certificate profile ${profileId} is not Active`);
    return profile;
  }

  /** Issues for a decrypted PKCSReq; throws ScepFailure for what the client must be told. */
  async function enroll(profileId: number, csrDer: Buffer, transactionId: string): Promise<Buffer> {
    let csr;
    try {
      csr = parseCsr(csrToDer(csrDer));
    } catch (err) {
      throw new ScepFailure(FailInfo.badRequest, err instanceof CaError ? err.message : 'the CSR cannot be read');
    }
    const challenge = challengePasswordOf(csrDer);
    if (!challenge) throw new ScepFailure(FailInfo.badRequest, 'the CSR has no challenge password');
    if (!csr.commonName) throw new ScepFailure(FailInfo.badRequest, 'the CSR has no common name');
    const commonName = csr.commonName;

    return withTransaction(deps.pool, async (tx) => {
      const profile = await scepProfile(tx, profileId);
      const atCa = deps.ca.within(tx);
      // One statement: the challenge must be registered, unused, unexpired, not deregistered and for this name.
      const registration = await atCa.consumeScepChallenge(challenge, commonName);
      if (!registration || registration.profileId !== String(profileId)) {
        // The same answer for unknown, used, expired, deregistered or another profile's challenge: nothing to learn from it.
        throw new ScepFailure(FailInfo.badRequest, `the challenge password is not valid for "${commonName}" at this profile (unknown, used, expired or deregistered)`);
      }
      const [kind, ref] = registration.assetRef.split(':');
      const assetId = kind === 'asset' ? Number(ref) : kind === 'certificate' ? ((await getCertificate(tx, Number(ref))).assetId ?? undefined) : undefined;
      const asset = assetId ? await getAsset(tx, assetId) : undefined;
      let issued;
      try {
        issued = await atCa.issueFromCsr({
          idempotencyKey: `scep:${registration.registrationId}`,
          csr: csrDer,
          profile: toCaProfile(profile, assetSubjectValues(asset, commonName)),
          edits: { commonName, dnsNames: registration.dnsNames },
        });
      } catch (err) {
        if (err instanceof CaError) throw new ScepFailure(FailInfo.badRequest, err.message);
        throw err;
      }
      const cert = await createCertificate(
        tx,
        { state: 'Valid', profileId: profile.id, ...(assetId ? { assetId } : {}), ...certificateRecord(issued), subject: issued.subject },
        { actor: ACTOR, reason: `issued over SCEP for registration ${registration.registrationId} (transaction ${transactionId.slice(0, 64)})` },
      );
      log(`[scep] profile ${profileId}: issued serial ${issued.serialNumber} as certificate ${cert.id} for registration ${registration.registrationId}`);
      return Buffer.from(issued.certificatePem.replace(/-----[A-Z ]+-----|\s+/g, ''), 'base64');
    });
  }

  return {
    /** GetCACaps: one capability a line. */
    async caps(profileId: number): Promise<ScepReply> {
      await scepProfile(deps.pool, profileId);
      return { contentType: 'text/plain', body: Buffer.from(CA_CAPS.join('\n')) };
    },

    /** GetCACert: the issuing CA alone, or its chain as a certs-only PKCS#7 (RFC 8894 §4.2.1). */
    async caCert(profileId: number): Promise<ScepReply> {
      await scepProfile(deps.pool, profileId);
      return chain.length === 1
        ? { contentType: 'application/x-x509-ca-cert', body: issuing.certificateDer }
        : { contentType: 'application/x-x509-ca-ra-cert', body: certsOnly(chain) };
    },

    /** PKIOperation: a signed CertRep for every message that can be read, SUCCESS or FAILURE. */
    async pkiOperation(profileId: number, message: Buffer): Promise<ScepReply> {
      await scepProfile(deps.pool, profileId);
      let request: PkiRequest;
      try {
        request = readPkiRequest(message);
      } catch (err) {
        if (err instanceof ScepMessageError || err instanceof ScepFailure) throw new ScepHttpError(400, `not a readable SCEP pkiMessage: ${err.message}`);
        throw err;
      }
      let outcome: { certificate: Buffer } | { failInfo: (typeof FailInfo)[keyof typeof FailInfo] };
      try {
        if (request.messageType !== MessageType.PKCSReq) {
          throw new ScepFailure(FailInfo.badRequest, `message type ${request.messageType} is not supported; enroll with PKCSReq and a new challenge`);
        }
        const csrDer = openEnvelope(request.envelope, recipient);
        outcome = { certificate: await enroll(profileId, csrDer, request.transactionId) };
      } catch (err) {
        if (err instanceof ScepMessageError) err = new ScepFailure(FailInfo.badMessageCheck, err.message);
        if (!(err instanceof ScepFailure)) throw err;
        log(`[scep] profile ${profileId}: refused (failInfo ${err.failInfo}): ${err.message}`);
        outcome = { failInfo: err.failInfo };
      }
      return { contentType: 'application/x-pki-message', body: await buildCertRep({ request, outcome }, signer) };
    },
  };
}

export type ScepService = NonNullable<ReturnType<typeof createScepService>>;
