/**
 * PKCS#12 (RFC 7292) with strong algorithms, built as DER with Node's crypto.
 *
 * node-forge's `toPkcs12Asn1` only takes RSA keys and protects with PBKDF2-HMAC-SHA1 and a
 * SHA-1 MAC. This builds what OpenSSL 3 itself writes by default, so `openssl pkcs12` reads it
 * without `-legacy`: key and certificates encrypted with PBES2 (PBKDF2-HMAC-SHA256,
 * AES-256-CBC), integrity by an HMAC-SHA256 MAC keyed with the PKCS#12 KDF.
 */
import crypto from 'node:crypto';
import { explicit, integer, nullValue, octetString, oid, sequence, setOf, tlv, Tag } from './der';

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** How strongly the file is protected. Defaults match or exceed `openssl pkcs12 -export` (OpenSSL 3). */
export interface Pkcs12Options {
  /** PBKDF2 iterations for key and certificate encryption. Default 10 000 (OpenSSL 3: 2048). */
  pbkdf2Iterations?: number;
  /** PKCS#12 KDF iterations of the MAC key. Default 2048 (as OpenSSL 3). */
  macIterations?: number;
  /** Name shown by certificate stores for the key. */
  friendlyName?: string;
}

export interface Pkcs12Input {
  /** The private key, any type Node can export as PKCS#8. */
  privateKey: crypto.KeyObject;
  /** The end-entity certificate, DER. */
  certificate: Buffer;
  /** CA certificates to include (issuing, root), DER. */
  chain?: Buffer[];
  password: string;
}

const pbkdf2 = (password: string, salt: Buffer, iterations: number): Promise<Buffer> =>
  new Promise((resolve, reject) =>
    crypto.pbkdf2(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256', (err, key) => (err ? reject(err) : resolve(key))),
  );

/** PBES2 encryption; returns the AlgorithmIdentifier and the ciphertext. */
async function pbes2Encrypt(plain: Buffer, password: string, iterations: number): Promise<{ algorithm: Buffer; encrypted: Buffer }> {
  const salt = crypto.randomBytes(16);
  const iv = crypto.randomBytes(16);
  const key = await pbkdf2(password, salt, iterations);
  const cipher = crypto.createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  const algorithm = sequence(
    oid(OID.pbes2),
    sequence(
      sequence(oid(OID.pbkdf2), sequence(octetString(salt), integer(iterations), sequence(oid(OID.hmacWithSHA256), nullValue()))),
      sequence(oid(OID.aes256Cbc), octetString(iv)),
    ),
  );
  return { algorithm, encrypted };
}

/** The password as PKCS#12 wants it for the MAC KDF: BMPString (UTF-16BE) with a two-byte terminator. */
function bmpPassword(password: string): Buffer {
  const le = Buffer.from(`${password}\u0000`, 'utf16le');
  return le.swap16();
}

/** RFC 7292 appendix B.2 key derivation with SHA-256 (u = 32, v = 64), for a 32-byte MAC key. */
export function pkcs12Kdf(password: string, salt: Buffer, id: number, iterations: number): Buffer {
  const v = 64;
  const fill = (src: Buffer): Buffer => {
    if (src.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const d = Buffer.alloc(v, id);
  const i = Buffer.concat([fill(salt), fill(bmpPassword(password))]);
  let a = crypto.createHash('sha256').update(d).update(i).digest();
  for (let r = 1; r < iterations; r++) a = crypto.createHash('sha256').update(a).digest();
  return a; // one SHA-256 block is exactly the 32 bytes HMAC-SHA256 needs
}

function bmpString(s: string): Buffer {
  return tlv(Tag.BMP_STRING, Buffer.from(s, 'utf16le').swap16());
}

function safeBag(bagOid: string, value: Buffer, attributes: Buffer[]): Buffer {
  return sequence(oid(bagOid), explicit(0, value), ...(attributes.length ? [setOf(...attributes)] : []));
}

/** Builds a password-protected PKCS#12 holding the key, its certificate and the chain. */
export async function buildPkcs12(input: Pkcs12Input, options: Pkcs12Options = {}): Promise<Buffer> {
  const iterations = options.pbkdf2Iterations ?? 10_000;
  const macIterations = options.macIterations ?? 2048;
  const localKeyId = crypto.createHash('sha1').update(input.certificate).digest();
  const keyAttributes = [sequence(oid(OID.localKeyId), setOf(octetString(localKeyId)))];
  if (options.friendlyName) keyAttributes.push(sequence(oid(OID.friendlyName), setOf(bmpString(options.friendlyName))));

  // Certificates: one SafeContents, encrypted (EncryptedData), as OpenSSL does.
  const certBag = (der: Buffer, attrs: Buffer[]): Buffer =>
    safeBag(OID.certBag, sequence(oid(OID.x509Certificate), explicit(0, octetString(der))), attrs);
  const certContents = sequence(certBag(input.certificate, keyAttributes), ...(input.chain ?? []).map((c) => certBag(c, [])));
  const certEnc = await pbes2Encrypt(certContents, input.password, iterations);
  const certInfo = sequence(
    oid(OID.encryptedData),
    explicit(0, sequence(integer(0), sequence(oid(OID.data), certEnc.algorithm, tlv(0x80, certEnc.encrypted)))),
  );

  // Key: a pkcs8ShroudedKeyBag (EncryptedPrivateKeyInfo) in a plain SafeContents.
  const pkcs8 = input.privateKey.export({ format: 'der', type: 'pkcs8' });
  const keyEnc = await pbes2Encrypt(pkcs8, input.password, iterations);
  pkcs8.fill(0);
  const keyContents = sequence(safeBag(OID.pkcs8ShroudedKeyBag, sequence(keyEnc.algorithm, octetString(keyEnc.encrypted)), keyAttributes));
  const keyInfo = sequence(oid(OID.data), explicit(0, octetString(keyContents)));

  const authSafe = sequence(certInfo, keyInfo);
  const macSalt = crypto.randomBytes(16);
  const macKey = pkcs12Kdf(input.password, macSalt, 3, macIterations);
  const mac = crypto.createHmac('sha256', macKey).update(authSafe).digest();
  const macData = sequence(sequence(sequence(oid(OID.sha256), nullValue()), octetString(mac)), octetString(macSalt), integer(macIterations));

  return sequence(integer(3), sequence(oid(OID.data), explicit(0, octetString(authSafe))), macData);
}

/** A random password for a PKCS#12: 24 characters from a 56-letter alphabet without look-alikes (~139 bits). */
export function randomPassword(length = 24): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  let out = '';
  while (out.length < length) {
    for (const b of crypto.randomBytes(length * 2)) {
      if (b < 224 && out.length < length) out += alphabet[b % 56]; // 224 = 4 * 56: no modulo bias
    }
  }
  return out;
}
