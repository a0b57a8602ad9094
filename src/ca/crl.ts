/**
 * Builds a v2 CRL (RFC 5280 section 5) with @peculiar/asn1-x509 and signs it natively.
 */
import { AsnConvert, AsnParser, OctetString } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  CertificateList,
  CRLNumber,
  CRLReason,
  Extension,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
  KeyIdentifier,
  Name,
  RevokedCertificate,
  TBSCertList,
  Time,
  Version,
} from '@peculiar/asn1-x509';
import type { IssuerInfo } from './certificate-builder';
import { CrlReasonCode } from './revocation';
import { PARSE_FLAT, serialInteger, toPem } from './x509';

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

const extension = (extnID: string, value: object): Extension => new Extension({ extnID, extnValue: new OctetString(AsnConvert.serialize(value)) });
const toArrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

function entry(e: RevokedEntry): RevokedCertificate {
  return new RevokedCertificate({
    userCertificate: serialInteger(Buffer.from(e.serialHex.length % 2 ? `0${e.serialHex}` : e.serialHex, 'hex')),
    revocationDate: new Time(e.revokedAt),
    // RFC 5280 5.3.1: the reason code extension SHOULD be absent instead of saying "unspecified".
    ...(e.reason !== 'unspecified' ? { crlEntryExtensions: [extension(id_ce_cRLReasons, new CRLReason(CrlReasonCode[e.reason]))] } : {}),
  });
}

/** The TBSCertList. */
function tbsCertList(spec: CrlSpec, issuer: IssuerInfo): TBSCertList {
  return new TBSCertList({
    version: Version.v2,
    signature: issuer.signer.algorithm,
    issuer: AsnParser.parse(issuer.name, Name, PARSE_FLAT),
    thisUpdate: new Time(spec.thisUpdate),
    nextUpdate: new Time(spec.nextUpdate),
    ...(spec.entries.length > 0 ? { revokedCertificates: spec.entries.map(entry) } : {}), // absent when empty (5.1.2.6)
    crlExtensions: [
      extension(id_ce_authorityKeyIdentifier, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuer.keyIdentifier) })),
      extension(id_ce_cRLNumber, new CRLNumber(spec.number)),
    ],
  });
}

/** The DER TBSCertList. */
export const buildTbsCertList = (spec: CrlSpec, issuer: IssuerInfo): Buffer => Buffer.from(AsnConvert.serialize(tbsCertList(spec, issuer)));

/** Builds the CRL and signs it with the issuer's key. */
export async function buildCrl(spec: CrlSpec, issuer: IssuerInfo): Promise<Crl> {
  const tbs = tbsCertList(spec, issuer);
  const signature = await issuer.signer.sign(Buffer.from(AsnConvert.serialize(tbs)));
  const der = Buffer.from(AsnConvert.serialize(new CertificateList({ tbsCertList: tbs, signatureAlgorithm: issuer.signer.algorithm, signature: toArrayBuffer(signature) })));
  return { der, pem: toPem(der, 'X509 CRL'), number: spec.number, thisUpdate: spec.thisUpdate, nextUpdate: spec.nextUpdate };
}
