/**
 * PKCS#12 (RFC 7292) with strong algorithms: the structures are @peculiar/asn1-pfx's (with
 * asn1-cms and asn1-pkcs9), every cipher, hash and MAC is Node's crypto.
 *
 * node-forge's `toPkcs12Asn1` only takes RSA keys and protects with PBKDF2-HMAC-SHA1 and a
 * SHA-1 MAC. This builds what OpenSSL 3 itself writes by default, so `openssl pkcs12` reads it
 * without `-legacy`: key and certificates encrypted with PBES2 (PBKDF2-HMAC-SHA256,
 * AES-256-CBC), integrity by an HMAC-SHA256 MAC keyed with the PKCS#12 KDF.
 */
import crypto from 'node:crypto';
import { AsnConvert, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import { ContentInfo, EncryptedContent, EncryptedContentInfo, id_data, id_encryptedData } from '@peculiar/asn1-cms';
import { AuthenticatedSafe, CertBag, id_certBag, id_pkcs8ShroudedKeyBag, id_x509Certificate, MacData, PFX, PKCS12Attribute, PKCS8ShroudedKeyBag, SafeBag, SafeContents } from '@peculiar/asn1-pfx';
import { FriendlyName, id_pkcs9_at_friendlyName, id_pkcs9_at_localKeyId, LocalKeyId } from '@peculiar/asn1-pkcs9';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { asnFields } from './asn1-declare';

const OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** PBKDF2-params (RFC 8018 A.2): the salt is always `specified` here; the key length is left out. */
class Pbkdf2Params {
  salt = new OctetString();
  iterationCount = 0;
  prf = new AlgorithmIdentifier();
}
asnFields(Pbkdf2Params, { salt: { type: OctetString }, iterationCount: { type: AsnPropTypes.Integer }, prf: { type: AlgorithmIdentifier } });

/** PBES2-params (RFC 8018 A.4). */
class Pbes2Params {
  keyDerivationFunc = new AlgorithmIdentifier();
  encryptionScheme = new AlgorithmIdentifier();
}
asnFields(Pbes2Params, { keyDerivationFunc: { type: AlgorithmIdentifier }, encryptionScheme: { type: AlgorithmIdentifier } });

/** CMS EncryptedData (RFC 5652 8), which @peculiar/asn1-cms does not declare; no unprotected attributes. */
class CmsEncryptedData {
  version = 0;
  encryptedContentInfo = new EncryptedContentInfo();
}
asnFields(CmsEncryptedData, { version: { type: AsnPropTypes.Integer }, encryptedContentInfo: { type: EncryptedContentInfo } });

const der = (value: object): ArrayBuffer => AsnConvert.serialize(value);
const NULL = null; // asn1-schema writes a null parameter as ASN.1 NULL

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
async function pbes2Encrypt(plain: Buffer, password: string, iterations: number): Promise<{ algorithm: AlgorithmIdentifier; encrypted: Buffer }> {
  const salt = crypto.randomBytes(16);
  const iv = crypto.randomBytes(16);
  const key = await pbkdf2(password, salt, iterations);
  const cipher = crypto.createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  key.fill(0);
  const kdf = Object.assign(new Pbkdf2Params(), { salt: new OctetString(salt), iterationCount: iterations, prf: new AlgorithmIdentifier({ algorithm: OID.hmacWithSHA256, parameters: NULL }) });
  const parameters = Object.assign(new Pbes2Params(), {
    keyDerivationFunc: new AlgorithmIdentifier({ algorithm: OID.pbkdf2, parameters: der(kdf) }),
    encryptionScheme: new AlgorithmIdentifier({ algorithm: OID.aes256Cbc, parameters: der(new OctetString(iv)) }),
  });
  return { algorithm: new AlgorithmIdentifier({ algorithm: OID.pbes2, parameters: der(parameters) }), encrypted };
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

// PKCS12Attribute's constructor drops its parameters (asn1-pfx 2.11.1: `Object.assign(params)`), so they are set after it.
const attribute = (attrId: string, value: object): PKCS12Attribute => Object.assign(new PKCS12Attribute(), { attrId, attrValues: [der(value)] });

/** Builds a password-protected PKCS#12 holding the key, its certificate and the chain. */
export async function buildPkcs12(input: Pkcs12Input, options: Pkcs12Options = {}): Promise<Buffer> {
  const iterations = options.pbkdf2Iterations ?? 10_000;
  const macIterations = options.macIterations ?? 2048;
  const localKeyId = crypto.createHash('sha1').update(input.certificate).digest();
  const keyAttributes = [attribute(id_pkcs9_at_localKeyId, new LocalKeyId(localKeyId))];
  if (options.friendlyName) keyAttributes.push(attribute(id_pkcs9_at_friendlyName, new FriendlyName(options.friendlyName)));

  // Certificates: one SafeContents, encrypted (EncryptedData), as OpenSSL does.
  const certBag = (cert: Buffer, bagAttributes: PKCS12Attribute[]): SafeBag =>
    new SafeBag({
      bagId: id_certBag,
      bagValue: der(new CertBag({ certId: id_x509Certificate, certValue: der(new OctetString(cert)) })),
      ...(bagAttributes.length ? { bagAttributes } : {}),
    });
  const certContents = new SafeContents([certBag(input.certificate, keyAttributes), ...(input.chain ?? []).map((c) => certBag(c, []))]);
  const certEnc = await pbes2Encrypt(Buffer.from(der(certContents)), input.password, iterations);
  const certInfo = new ContentInfo({
    contentType: id_encryptedData,
    content: der(
      Object.assign(new CmsEncryptedData(), {
        version: 0,
        encryptedContentInfo: new EncryptedContentInfo({
          contentType: id_data,
          contentEncryptionAlgorithm: certEnc.algorithm,
          encryptedContent: new EncryptedContent({ value: new OctetString(certEnc.encrypted) }),
        }),
      }),
    ),
  });

  // Key: a pkcs8ShroudedKeyBag (EncryptedPrivateKeyInfo) in a plain SafeContents.
  const pkcs8 = input.privateKey.export({ format: 'der', type: 'pkcs8' });
  const keyEnc = await pbes2Encrypt(pkcs8, input.password, iterations);
  pkcs8.fill(0);
  const keyBag = new PKCS8ShroudedKeyBag({ encryptionAlgorithm: keyEnc.algorithm, encryptedData: new OctetString(keyEnc.encrypted) });
  const keyContents = new SafeContents([new SafeBag({ bagId: id_pkcs8ShroudedKeyBag, bagValue: der(keyBag), bagAttributes: keyAttributes })]);
  const keyInfo = new ContentInfo({ contentType: id_data, content: der(new OctetString(der(keyContents))) });

  const authSafe = Buffer.from(der(new AuthenticatedSafe([certInfo, keyInfo])));
  const macSalt = crypto.randomBytes(16);
  const macKey = pkcs12Kdf(input.password, macSalt, 3, macIterations);
  const macData = new MacData({ macSalt: new OctetString(macSalt), iterations: macIterations });
  // DigestInfo is @peculiar/asn1-rsa's, which this project does not depend on directly: MacData makes one.
  macData.mac.digestAlgorithm = new AlgorithmIdentifier({ algorithm: OID.sha256, parameters: NULL });
  macData.mac.digest = new OctetString(crypto.createHmac('sha256', macKey).update(authSafe).digest());
  macKey.fill(0);

  return Buffer.from(der(new PFX({ version: 3, authSafe: new ContentInfo({ contentType: id_data, content: der(new OctetString(authSafe)) }), macData })));
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
