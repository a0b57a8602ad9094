/**
 * Reading the few fields of an X.509 certificate the CA needs from its own certificates
 * (subject Name DER, public key, key identifier), with @peculiar/asn1-x509.
 */
import crypto from 'node:crypto';
import { AsnConvert, AsnParser, type IAsnParseOptions } from '@peculiar/asn1-schema';
import { Certificate, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';

/** BIT and OCTET STRINGs are not searched for nested ASN.1 (the RSA modulus would be read as a tree). */
export const PARSE_FLAT: IAsnParseOptions = { berOptions: { parseEmbedded: false } };

/** The parts of a certificate that the CA reuses when it signs with it. */
export interface CertificateParts {
  /** Subject Name, DER (becomes the issuer of what it signs). */
  subjectName: Buffer;
  /** SubjectPublicKeyInfo, DER. */
  spki: Buffer;
  /** Serial number, lower-case hex without leading zero bytes. */
  serialHex: string;
}

/** Splits a DER certificate into the parts the CA needs. */
export function certificateParts(der: Buffer): CertificateParts {
  const { tbsCertificate: tbs } = AsnParser.parse(der, Certificate, PARSE_FLAT);
  return {
    serialHex: serialToHex(Buffer.from(tbs.serialNumber)),
    subjectName: Buffer.from(AsnConvert.serialize(tbs.subject)),
    spki: Buffer.from(AsnConvert.serialize(tbs.subjectPublicKeyInfo)),
  };
}

/** Canonical hex of a serial number: lower case, leading zero bytes removed. */
export function serialToHex(bytes: Buffer): string {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i).toString('hex');
}

/** A SubjectPublicKeyInfo DER read into @peculiar/asn1-x509's type. */
export const readSpki = (spki: Buffer): SubjectPublicKeyInfo => AsnParser.parse(spki, SubjectPublicKeyInfo, PARSE_FLAT);

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING (without the unused-bits byte). */
export function keyIdentifier(spki: Buffer | SubjectPublicKeyInfo): Buffer {
  const info = Buffer.isBuffer(spki) ? readSpki(spki) : spki;
  return crypto.createHash('sha1').update(Buffer.from(info.subjectPublicKey)).digest();
}

/** Wraps DER in PEM with the given label. */
export function toPem(der: Buffer, label: string): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Reads the DER out of PEM (the first block with that label). */
export function fromPem(pem: string, label: string): Buffer {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(pem);
  if (!m) throw new Error(`no PEM block "${label}"`);
  return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
}

/** A random positive 128-bit serial number (RFC 5280 allows up to 20 octets; CA/B asks for 64+ random bits). */
export function randomSerial(): Buffer {
  for (;;) {
    const s = crypto.randomBytes(16);
    if (s[0] !== 0) return s; // a leading zero byte would shorten it below 128 bits
  }
}

/** A serial number as DER INTEGER content: a leading zero byte when the top bit is set keeps it positive. */
export const serialInteger = (serial: Buffer): ArrayBuffer => {
  const bytes = (serial[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), serial]) : Buffer.from(serial);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
};
