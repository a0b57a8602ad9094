/**
 * Builds and signs X.509 v3 certificates: node-forge lays out the TBSCertificate, Node's
 * native crypto signs it (see signer.ts).
 *
 * forge only writes RSA public keys and always puts NULL parameters into the signature
 * algorithm, so three parts of forge's TBS are replaced, as forge reads them from their DER:
 * the signature AlgorithmIdentifier (ECDSA has no parameters), the issuer Name (copied byte for
 * byte from the issuer certificate) and the SubjectPublicKeyInfo (copied from the CSR or the
 * generated key).
 *
 * Why forge and not @peculiar/asn1-x509, which the CSR reader and the CRL use: asn1-schema's
 * serializer (asn1js toBER) took ~600 µs per TBSCertificate here against forge's ~100 µs, twice
 * an RSA-2048 signature, on the issuance hot path (measured for issue 12; bench:ca). Nothing
 * here reads untrusted input: the parts that come from a request were parsed by csr.ts.
 */
import crypto from 'node:crypto';
import forge from 'node-forge';
import { AsnParser } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import type { NameAttribute } from './request-policy';
import type { Signer } from './signer';
import { getTBSCertificate, strictFromDer } from './forge-extras';
import { PARSE_FLAT, toPem } from './x509';
import type { ExtendedKeyUsage } from './profile';

/** Who signs: the issuer's subject Name and key identifier, and its signer. */
export interface IssuerInfo {
  /** The issuer's subject Name, DER. For a self-signed root, the root's own subject. */
  name: Buffer;
  /** The issuer's subject key identifier (becomes our authority key identifier). */
  keyIdentifier: Buffer;
  signer: Signer;
}

/** What goes into a certificate. */
export interface CertificateSpec {
  /** Serial number, positive, big-endian (see randomSerial). */
  serial: Buffer;
  subject: NameAttribute[];
  /** SubjectPublicKeyInfo DER of the certified key. */
  spki: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** CA certificates: path length constraint (undefined = unlimited); end entities: omit `ca`. */
  ca?: { pathLength?: number };
  /** Key usages of an end-entity certificate; CA certificates get keyCertSign + cRLSign. */
  keyUsage?: { digitalSignature?: boolean; keyEncipherment?: boolean };
  extendedKeyUsage?: ExtendedKeyUsage[];
  dnsNames?: string[];
  /** CRL distribution point URL. */
  crlUrl?: string;
  /** Leave out the authority key identifier (self-signed root). */
  selfSigned?: boolean;
}

/** A signed certificate. */
export interface BuiltCertificate {
  der: Buffer;
  pem: string;
}

// forge needs some RSA public key to lay out the TBS; the bytes it produces are replaced.
const PLACEHOLDER_KEY = forge.pki.setRsaPublicKey(new forge.jsbn.BigInteger('3'), new forge.jsbn.BigInteger('3'));
const TBS_SIGNATURE = 2;
const TBS_ISSUER = 3;
const TBS_SPKI = 6;

const { asn1 } = forge;
const binary = (b: Buffer): string => b.toString('binary');
const asn1FromDer = (der: Buffer): forge.asn1.Asn1 => strictFromDer(binary(der));
const CRITICAL = true;

function extensionsFor(spec: CertificateSpec, issuer: IssuerInfo, subjectKeyId: Buffer): object[] {
  const exts: object[] = [];
  exts.push(
    spec.ca
      ? { name: 'basicConstraints', critical: CRITICAL, cA: true, ...(spec.ca.pathLength !== undefined ? { pathLenConstraint: spec.ca.pathLength } : {}) }
      : { name: 'basicConstraints', critical: CRITICAL, cA: false },
  );
  exts.push(
    spec.ca
      ? { name: 'keyUsage', critical: CRITICAL, keyCertSign: true, cRLSign: true, digitalSignature: true }
      : { name: 'keyUsage', critical: CRITICAL, ...spec.keyUsage },
  );
  if (spec.extendedKeyUsage?.length) {
    exts.push({ name: 'extKeyUsage', ...Object.fromEntries(spec.extendedKeyUsage.map((u) => [u, true])) });
  }
  if (spec.dnsNames?.length) {
    exts.push({ name: 'subjectAltName', altNames: spec.dnsNames.map((value) => ({ type: 2, value })) });
  }
  exts.push({ name: 'subjectKeyIdentifier', value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, binary(subjectKeyId)) });
  if (!spec.selfSigned) {
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT KeyIdentifier OPTIONAL, ... }
    const keyId = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, binary(issuer.keyIdentifier));
    exts.push({ name: 'authorityKeyIdentifier', value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [keyId]) });
  }
  if (spec.crlUrl) {
    exts.push({ name: 'cRLDistributionPoints', altNames: [{ type: 6, value: spec.crlUrl }] });
  }
  return exts;
}

/**
 * RFC 5280 4.2.1.2 method 1 (as keyIdentifier in x509.ts) from forge's reading of the SPKI, which
 * the TBS needs anyway: reading it again with asn1-schema cost 20 µs per certificate.
 */
function subjectKeyIdentifier(spki: forge.asn1.Asn1): Buffer {
  const bits = (spki.value as forge.asn1.Asn1[])[1];
  if (!bits || bits.type !== asn1.Type.BITSTRING || typeof bits.value !== 'string') throw new Error('SubjectPublicKeyInfo without a BIT STRING key');
  return crypto.createHash('sha1').update(Buffer.from(bits.value, 'binary').subarray(1)).digest();
}

/** forge's TBSCertificate for `spec`, to be signed by `issuer`. */
function tbsCertificate(spec: CertificateSpec, issuer: IssuerInfo): forge.asn1.Asn1 {
  const cert = forge.pki.createCertificate();
  cert.serialNumber = spec.serial.toString('hex');
  if ((spec.serial[0]! & 0x80) !== 0) cert.serialNumber = `00${cert.serialNumber}`; // keep the INTEGER positive
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  cert.publicKey = PLACEHOLDER_KEY;
  cert.setSubject(
    spec.subject.map((a) => ({
      shortName: a.shortName,
      value: a.value,
      // PrintableString for the country (X.520), UTF8String for the rest (RFC 5280 4.1.2.4).
      valueTagClass: (a.shortName === 'C' ? forge.asn1.Type.PRINTABLESTRING : forge.asn1.Type.UTF8) as never,
    })),
  );
  const spki = asn1FromDer(spec.spki);
  cert.setExtensions(extensionsFor(spec, issuer, subjectKeyIdentifier(spki)));
  cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!; // replaced below
  const tbs = getTBSCertificate(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  fields[TBS_SIGNATURE] = asn1FromDer(issuer.signer.algorithmIdentifier);
  fields[TBS_ISSUER] = asn1FromDer(issuer.name);
  fields[TBS_SPKI] = spki;
  return tbs;
}

/** The DER TBSCertificate for `spec`, to be signed by `issuer`. */
export const buildTbsCertificate = (spec: CertificateSpec, issuer: IssuerInfo): Buffer => Buffer.from(asn1.toDer(tbsCertificate(spec, issuer)).getBytes(), 'binary');

/** Builds the certificate and signs it natively with the issuer's key. */
export async function buildCertificate(spec: CertificateSpec, issuer: IssuerInfo): Promise<BuiltCertificate> {
  const tbs = tbsCertificate(spec, issuer);
  const signature = await issuer.signer.sign(Buffer.from(asn1.toDer(tbs).getBytes(), 'binary'));
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING } (no unused bits)
  const signatureValue = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\u0000${binary(signature)}`);
  const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [tbs, asn1FromDer(issuer.signer.algorithmIdentifier), signatureValue]);
  const der = Buffer.from(asn1.toDer(certificate).getBytes(), 'binary');
  return { der, pem: toPem(der, 'CERTIFICATE') };
}

/** The same Name as @peculiar/asn1-x509's type (for the CSR builder). */
export const nameOf = (subject: NameAttribute[]): Name => AsnParser.parse(encodeName(subject), Name, PARSE_FLAT);

/** The subject Name DER of a certificate built from these attributes (for a self-signed root's issuer). */
export function encodeName(subject: NameAttribute[]): Buffer {
  const cert = forge.pki.createCertificate();
  cert.setSubject(subject.map((a) => ({ shortName: a.shortName, value: a.value, valueTagClass: (a.shortName === 'C' ? forge.asn1.Type.PRINTABLESTRING : forge.asn1.Type.UTF8) as never })));
  cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  // forge exposes no Name encoder; the subject of a TBS is one.
  const tbs = getTBSCertificate(Object.assign(cert, { publicKey: PLACEHOLDER_KEY }));
  return Buffer.from(asn1.toDer((tbs.value as forge.asn1.Asn1[])[5]!).getBytes(), 'binary');
}
