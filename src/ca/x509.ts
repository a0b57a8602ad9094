/**
 * Reading the few fields of an X.509 certificate the CA needs from its own certificates
 * (subject Name DER, public key, key identifier). node-forge cannot parse certificates with EC
 * keys, hence this small reader.
 */
import crypto from 'node:crypto';
import { children, content, raw, readElement, Tag } from './der';

/** The parts of a certificate that the CA reuses when it signs with it. */
export interface CertificateParts {
  /** Subject Name, DER, exactly as in the certificate (becomes the issuer of what it signs). */
  subjectName: Buffer;
  /** SubjectPublicKeyInfo, DER. */
  spki: Buffer;
  /** Serial number, lower-case hex without leading zero bytes. */
  serialHex: string;
}

/** Splits a DER certificate into the parts the CA needs. */
export function certificateParts(der: Buffer): CertificateParts {
  const [tbsEl] = children(der, readElement(der));
  const fields = children(der, tbsEl!);
  const offset = fields[0]!.tag === 0xa0 ? 1 : 0; // explicit [0] version is optional
  const serial = content(der, fields[offset]!);
  return {
    serialHex: serialToHex(serial),
    subjectName: Buffer.from(raw(der, fields[offset + 4]!)),
    spki: Buffer.from(raw(der, fields[offset + 5]!)),
  };
}

/** Canonical hex of a serial number: lower case, leading zero bytes removed. */
export function serialToHex(bytes: Buffer): string {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i).toString('hex');
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING (without the unused-bits byte). */
export function keyIdentifier(spki: Buffer): Buffer {
  const [, keyEl] = children(spki, readElement(spki));
  if (!keyEl || keyEl.tag !== Tag.BIT_STRING) throw new Error('SubjectPublicKeyInfo without a BIT STRING key');
  return crypto.createHash('sha1').update(content(spki, keyEl).subarray(1)).digest();
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
