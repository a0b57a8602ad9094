/**
 * Builds a v2 CRL (RFC 5280 section 5) and signs it natively. node-forge cannot write CRLs,
 * so the TBSCertList is composed as DER here.
 */
import { bitString, explicit, integer, integerFromBytes, octetString, oid, sequence, tlv, time, Tag } from './der';
import type { IssuerInfo } from './certificate-builder';
import { CrlReasonCode } from './revocation';
import { toPem } from './x509';

/** One entry of the CRL. */
export interface RevokedEntry {
  /** Serial number, hex. */
  serialHex: string;
  revokedAt: Date;
  /** A revocation reason or `certificateHold`. */
  reason: keyof typeof CrlReasonCode;
}

export interface CrlSpec {
  /** Monotonically increasing CRL number (cRLNumber extension). */
  number: number;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: RevokedEntry[];
}

/** A signed CRL. */
export interface Crl {
  der: Buffer;
  pem: string;
  number: number;
  thisUpdate: Date;
  nextUpdate: Date;
}

const EXT_REASON_CODE = '2.5.29.21';
const EXT_AUTHORITY_KEY_ID = '2.5.29.35';
const EXT_CRL_NUMBER = '2.5.29.20';

function entry(e: RevokedEntry): Buffer {
  const parts = [integerFromBytes(Buffer.from(e.serialHex.length % 2 ? `0${e.serialHex}` : e.serialHex, 'hex')), time(e.revokedAt)];
  // RFC 5280 5.3.1: the reason code extension SHOULD be absent instead of saying "unspecified".
  if (e.reason !== 'unspecified') {
    const reason = tlv(Tag.ENUMERATED, Buffer.from([CrlReasonCode[e.reason]]));
    parts.push(sequence(sequence(oid(EXT_REASON_CODE), octetString(reason))));
  }
  return sequence(...parts);
}

/** The DER TBSCertList. */
export function buildTbsCertList(spec: CrlSpec, issuer: IssuerInfo): Buffer {
  const extensions = sequence(
    sequence(oid(EXT_AUTHORITY_KEY_ID), octetString(sequence(tlv(0x80, issuer.keyIdentifier)))),
    sequence(oid(EXT_CRL_NUMBER), octetString(integer(spec.number))),
  );
  return sequence(
    integer(1), // v2
    issuer.signer.algorithmIdentifier,
    issuer.name,
    time(spec.thisUpdate),
    time(spec.nextUpdate),
    ...(spec.entries.length > 0 ? [sequence(...spec.entries.map(entry))] : []), // absent when empty (5.1.2.6)
    explicit(0, extensions),
  );
}

/** Builds the CRL and signs it with the issuer's key. */
export async function buildCrl(spec: CrlSpec, issuer: IssuerInfo): Promise<Crl> {
  const tbs = buildTbsCertList(spec, issuer);
  const signature = await issuer.signer.sign(tbs);
  const der = sequence(tbs, issuer.signer.algorithmIdentifier, bitString(signature));
  return { der, pem: toPem(der, 'X509 CRL'), number: spec.number, thisUpdate: spec.thisUpdate, nextUpdate: spec.nextUpdate };
}
