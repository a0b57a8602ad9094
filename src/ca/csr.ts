/**
 * Reading a PKCS#10 certificate signing request (RFC 2986): PEM or DER in, a parsed request
 * out, with its signature verified by Node's crypto.
 *
 * node-forge cannot read EC keys in a CSR, so the structure is split here with a small DER
 * reader; Node's `createPublicKey` learns algorithm and size from the SubjectPublicKeyInfo.
 * Every failure is a `CaError` with its own code, never an untyped exception.
 */
import crypto from 'node:crypto';
import { CaError, CaErrorCode } from './errors';
import { rdnAttributes, strictFromDer } from './forge-extras';
import { children, content, decodeOid, raw, readElement, Tag, toBinary, type Element } from './der';
import { MAX_DNS_NAMES } from './dns-policy';
import { RSA_KEYS } from './profile';

/** Largest CSR accepted: real ones are a few KB; anything bigger is refused before parsing. */
export const MAX_CSR_BYTES = 64 * 1024;

/** What the CSR's public key is. */
export interface CsrKey {
  /** Node's key type: 'rsa', 'ec', 'dsa', 'ed25519', ... */
  type: string;
  /** RSA modulus bits, or EC curve bits. */
  bits?: number;
  /** Node's curve name for EC keys (prime256v1, secp384r1, secp521r1). */
  curve?: string;
  /** The SubjectPublicKeyInfo DER, copied into the certificate unchanged. */
  spki: Buffer;
  publicKey: crypto.KeyObject;
}

/** A subject attribute as written in the CSR. */
export interface SubjectAttribute {
  /** Dotted OID, e.g. 2.5.4.3. */
  type: string;
  /** Short name when known (CN, O, OU, C, L, ST, E). */
  shortName?: string;
  value: string;
}

/** A parsed CSR whose signature has been verified. */
export interface ParsedCsr {
  subject: SubjectAttribute[];
  /** The subject's common name, when present. */
  commonName?: string;
  /** DNS names from the subjectAltName extension request. */
  dnsNames: string[];
  /** Alternative-name types other than DNS found in the request (rfc822Name, iPAddress, ...). */
  otherAltNameTypes: string[];
  key: CsrKey;
  /** Dotted OID of the CSR's signature algorithm. */
  signatureAlgorithm: string;
}

const SIGNATURE_HASHES: Readonly<Record<string, { key: 'rsa' | 'ec'; hash: string }>> = {
  '1.2.840.113549.1.1.11': { key: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { key: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { key: 'rsa', hash: 'sha512' },
  '1.2.840.10045.4.3.2': { key: 'ec', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { key: 'ec', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { key: 'ec', hash: 'sha512' },
};

const WEAK_SIGNATURES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'MD5 with RSA',
  '1.2.840.113549.1.1.5': 'SHA-1 with RSA',
  '1.2.840.10045.4.1': 'ECDSA with SHA-1',
};

const EC_CURVE_BITS: Readonly<Record<string, number>> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SUBJECT_ALT_NAME = '2.5.29.17';
const ALT_NAME_TYPES = ['otherName', 'rfc822Name', 'dNSName', 'x400Address', 'directoryName', 'ediPartyName', 'uniformResourceIdentifier', 'iPAddress', 'registeredID'];

const invalid = (why: string): CaError =>
  new CaError(CaErrorCode.CSR_INVALID, `The file is not a valid certificate signing request (PKCS#10): ${why}.`);

/** Turns PEM text, base64 text or DER bytes into DER, refusing empty and oversized input. */
export function csrToDer(input: string | Uint8Array): Buffer {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size === 0 || (typeof input === 'string' && input.trim() === '')) {
    throw new CaError(CaErrorCode.CSR_EMPTY, 'No certificate signing request was given: the upload is empty.');
  }
  if (size > MAX_CSR_BYTES) {
    throw new CaError(
      CaErrorCode.CSR_TOO_LARGE,
      `The certificate signing request is ${size} bytes; at most ${MAX_CSR_BYTES} bytes are accepted. Is this the right file?`,
      { size },
    );
  }
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  if (bytes[0] === 0x30) return bytes; // DER: starts with a SEQUENCE
  const text = bytes.toString('utf8');
  const pem = /-----BEGIN (NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (NEW )?CERTIFICATE REQUEST-----/.exec(text);
  if (pem) return Buffer.from(pem[2]!.replace(/\s+/g, ''), 'base64');
  if (/-----BEGIN [A-Z0-9 ]+-----/.test(text)) {
    const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)![1];
    throw invalid(`it is a PEM "${label}", not a "CERTIFICATE REQUEST"`);
  }
  const compact = text.replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return Buffer.from(compact, 'base64');
  throw invalid('it is neither PEM nor DER');
}

function expect(e: Element | undefined, tag: number, what: string): Element {
  if (!e || e.tag !== tag) throw invalid(`${what} is missing or malformed`);
  return e;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const STRING_TYPES = { T61: 0x14, VISIBLE: 0x1a, UNIVERSAL: 0x1c } as const;

/**
 * The text of a DirectoryString by its ASN.1 type (issue 17.15). forge hands a UTF8String over
 * as its raw bytes, and re-encoding those bytes doubled the UTF-8 of every non-ASCII name.
 */
function decodeString(value: string, tag: number, what: string): string {
  const bytes = Buffer.from(value, 'binary');
  switch (tag) {
    case Tag.UTF8_STRING:
      try {
        return UTF8.decode(bytes);
      } catch {
        throw invalid(`${what} is not valid UTF-8`);
      }
    case Tag.PRINTABLE_STRING:
    case Tag.IA5_STRING:
    case STRING_TYPES.VISIBLE:
      if (bytes.some((b) => b > 0x7f)) throw invalid(`${what} holds bytes that are not ASCII in an ASCII string type`);
      return bytes.toString('latin1');
    case STRING_TYPES.T61:
      return bytes.toString('latin1'); // as OpenSSL reads a TeletexString
    case Tag.BMP_STRING:
      return value; // forge decodes BMPString (UTF-16BE) itself
    case STRING_TYPES.UNIVERSAL: {
      if (bytes.length % 4 !== 0) throw invalid(`${what} is not valid UniversalString`);
      const codePoints = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readUInt32BE(i * 4));
      if (codePoints.some((c) => c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))) throw invalid(`${what} is not valid UniversalString`);
      return String.fromCodePoint(...codePoints);
    }
    default:
      throw invalid(`${what} is not a string (ASN.1 tag ${tag})`);
  }
}

function readSubject(der: Buffer): SubjectAttribute[] {
  // forge knows the attribute names; the Name is small and safe to hand over.
  return rdnAttributes(strictFromDer(toBinary(der))).map((a) => ({
    type: String(a.type),
    shortName: a.shortName,
    value: decodeString(String(a.value ?? ''), a.valueTagClass, `the subject's ${a.shortName ?? String(a.type)}`),
  }));
}

/** The bytes of a name as an operator can read them: printable ASCII as is, any other byte as \xNN. */
const escapeBytes = (bytes: Buffer): string =>
  [...bytes].map((b) => (b >= 0x20 && b <= 0x7e && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');

function readAltNames(der: Buffer, out: { dnsNames: string[]; other: string[] }): void {
  const names = children(der, expect(readElement(der), Tag.SEQUENCE, 'subjectAltName'));
  if (names.length > MAX_DNS_NAMES) {
    throw new CaError(
      CaErrorCode.SAN_TOO_MANY,
      `The request asks for ${names.length} alternative names; one certificate carries at most ${MAX_DNS_NAMES}. Split the names over several requests.`,
      { count: names.length, max: MAX_DNS_NAMES },
    );
  }
  for (const gn of names) {
    const type = gn.tag & 0x1f;
    if (type === 2 && (gn.tag & 0xe0) === 0x80) {
      // dNSName is an IA5String: ASCII. Reading it 'ascii' dropped the high bit (0xe1 became 'a'),
      // so a name the requester never wrote passed the policy (issue 17.15). Refuse it instead.
      const bytes = content(der, gn);
      if (bytes.some((b) => b < 0x21 || b > 0x7e)) {
        const dnsName = escapeBytes(bytes);
        throw new CaError(
          CaErrorCode.DNS_NAME_INVALID,
          `The request's DNS name "${dnsName}" holds a byte that is not ASCII or is a control character; ` +
            'DNS names are ASCII (an internationalized name is written in its xn-- form).',
          { dnsName },
        );
      }
      out.dnsNames.push(bytes.toString('latin1'));
    } else out.other.push(ALT_NAME_TYPES[type] ?? `[${type}]`);
  }
}

function readExtensionRequest(der: Buffer, attributes: Element, out: { dnsNames: string[]; other: string[] }): void {
  for (const attr of children(der, attributes)) {
    const [typeEl, valuesEl] = children(der, expect(attr, Tag.SEQUENCE, 'a CSR attribute'));
    if (decodeOid(content(der, expect(typeEl, Tag.OID, 'an attribute type'))) !== EXTENSION_REQUEST) continue;
    for (const exts of children(der, expect(valuesEl, Tag.SET, 'the extension request'))) {
      for (const ext of children(der, expect(exts, Tag.SEQUENCE, 'the requested extensions'))) {
        const parts = children(der, expect(ext, Tag.SEQUENCE, 'a requested extension'));
        const id = decodeOid(content(der, expect(parts[0], Tag.OID, 'an extension id')));
        const value = expect(parts[parts.length - 1], Tag.OCTET_STRING, 'an extension value');
        if (id === SUBJECT_ALT_NAME) readAltNames(Buffer.from(content(der, value)), out);
      }
    }
  }
}

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';

/**
 * Imports the key. OpenSSL 3's generic SPKI decoder costs ~140 µs per key on this machine, a
 * sixth of an RSA-2048 signature, so RSA keys go through the PKCS#1 decoder (~7 µs) instead:
 * the BIT STRING of an rsaEncryption SPKI is exactly an RSAPublicKey.
 */
function importSpki(spki: Buffer): crypto.KeyObject {
  try {
    const [algEl, keyEl] = children(spki, readElement(spki));
    const [oidEl] = children(spki, algEl!);
    if (oidEl?.tag === Tag.OID && keyEl?.tag === Tag.BIT_STRING && decodeOid(content(spki, oidEl)) === RSA_ENCRYPTION) {
      const bits = content(spki, keyEl);
      if (bits[0] === 0) return crypto.createPublicKey({ key: Buffer.from(bits.subarray(1)), format: 'der', type: 'pkcs1' });
    }
  } catch {
    // not the simple RSA case: fall through to the generic decoder, which reports the problem
  }
  return crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

/**
 * True when an EC SubjectPublicKeyInfo names its curve (parameters: namedCurve OID). OpenSSL
 * reads explicit parameters too and even reports the matching curve's name, but RFC 5480 2.1.1
 * forbids them in certificates and they are where curve-substitution attacks live.
 */
function hasNamedCurve(spki: Buffer): boolean {
  const [algEl] = children(spki, readElement(spki));
  const [oidEl, parametersEl] = children(spki, algEl!);
  return decodeOid(content(spki, oidEl!)) === EC_PUBLIC_KEY && parametersEl?.tag === Tag.OID;
}

/**
 * Reads the key and refuses what this CA never certifies, whatever the profile (issue 17.13):
 * RSA with another exponent than 65537 or above RSA_KEYS.maxBits, EC without a named curve.
 * This runs before the signature is verified, so an oversized key costs nothing.
 */
function readKey(spki: Buffer): CsrKey {
  let publicKey: crypto.KeyObject;
  try {
    publicKey = importSpki(spki);
  } catch {
    throw new CaError(CaErrorCode.KEY_UNSUPPORTED, 'The public key in the request is of a type this CA cannot read; use RSA or EC (P-256, P-384).');
  }
  const type = publicKey.asymmetricKeyType ?? 'unknown';
  const details = publicKey.asymmetricKeyDetails ?? {};
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (details.publicExponent !== RSA_KEYS.publicExponent) {
      throw new CaError(
        CaErrorCode.KEY_UNSUPPORTED,
        `The request's RSA key has the public exponent ${String(details.publicExponent)}; this CA certifies RSA keys with the exponent ${RSA_KEYS.publicExponent} only. Create a new key (every current tool uses 65537).`,
        { publicExponent: String(details.publicExponent) },
      );
    }
    if (bits > RSA_KEYS.maxBits) {
      throw new CaError(
        CaErrorCode.KEY_UNSUPPORTED,
        `The request's RSA key has ${bits} bits; this CA certifies RSA keys of at most ${RSA_KEYS.maxBits} bits.`,
        { bits },
      );
    }
    return { type, bits, spki, publicKey };
  }
  if (type === 'ec') {
    if (!hasNamedCurve(spki)) {
      throw new CaError(
        CaErrorCode.KEY_UNSUPPORTED,
        "The request's EC key is written with explicit curve parameters; this CA certifies keys on a named curve only (P-256 or P-384). " +
          'Write the key with its curve name (openssl: -param_enc named_curve).',
      );
    }
    const curve = details.namedCurve ?? 'unknown';
    return { type, curve, bits: EC_CURVE_BITS[curve], spki, publicKey };
  }
  return { type, spki, publicKey };
}

/**
 * Parses a CSR (PEM, base64 or DER) and verifies its signature.
 * Throws `CaError` with CSR_EMPTY, CSR_TOO_LARGE, CSR_INVALID, CSR_SIGNATURE_ALGORITHM,
 * CSR_SIGNATURE or KEY_UNSUPPORTED.
 */
export function parseCsr(input: string | Uint8Array): ParsedCsr {
  const der = csrToDer(input);
  let parsed: Omit<ParsedCsr, 'key'> & { cri: Buffer; spki: Buffer; signature: Buffer };
  try {
    const top = readElement(der);
    if (top.tag !== Tag.SEQUENCE || top.end !== der.length) throw invalid('the outer structure is not a single SEQUENCE');
    const [criEl, algEl, sigEl, extra] = children(der, top);
    if (extra) throw invalid('it has trailing elements');
    const cri = expect(criEl, Tag.SEQUENCE, 'the request info');
    const [versionEl, subjectEl, spkiEl, attrsEl] = children(der, cri);
    expect(versionEl, Tag.INTEGER, 'the version');
    const subject = readSubject(raw(der, expect(subjectEl, Tag.SEQUENCE, 'the subject')));
    const spki = raw(der, expect(spkiEl, Tag.SEQUENCE, 'the public key'));
    const alt = { dnsNames: [] as string[], other: [] as string[] };
    if (attrsEl && attrsEl.tag === 0xa0) readExtensionRequest(der, attrsEl, alt);
    const [algOidEl] = children(der, expect(algEl, Tag.SEQUENCE, 'the signature algorithm'));
    const signatureAlgorithm = decodeOid(content(der, expect(algOidEl, Tag.OID, 'the signature algorithm id')));
    const sigBits = content(der, expect(sigEl, Tag.BIT_STRING, 'the signature'));
    if (sigBits.length < 2 || sigBits[0] !== 0) throw invalid('the signature is malformed');
    parsed = {
      subject,
      commonName: subject.find((a) => a.type === '2.5.4.3')?.value,
      dnsNames: alt.dnsNames,
      otherAltNameTypes: alt.other,
      signatureAlgorithm,
      cri: raw(der, cri),
      spki: Buffer.from(spki),
      signature: sigBits.subarray(1),
    };
  } catch (err) {
    if (err instanceof CaError) throw err;
    throw invalid(`its structure cannot be read (${(err as Error).message})`);
  }

  const key = readKey(parsed.spki);
  const alg = SIGNATURE_HASHES[parsed.signatureAlgorithm];
  if (!alg) {
    const weak = WEAK_SIGNATURES[parsed.signatureAlgorithm];
    throw new CaError(
      CaErrorCode.CSR_SIGNATURE_ALGORITHM,
      weak
        ? `The request is signed with ${weak}, which is no longer accepted; sign it with SHA-256 or stronger.`
        : `The request is signed with an unsupported algorithm (${parsed.signatureAlgorithm}); use RSA or ECDSA with SHA-256 or stronger.`,
      { signatureAlgorithm: parsed.signatureAlgorithm },
    );
  }
  if (key.type !== alg.key) {
    if (key.type !== 'rsa' && key.type !== 'ec') {
      throw new CaError(CaErrorCode.KEY_UNSUPPORTED, `The request's key type "${key.type}" is not supported; use RSA or EC (P-256, P-384).`, { keyType: key.type });
    }
    throw new CaError(CaErrorCode.CSR_SIGNATURE, 'The request is signed with an algorithm that does not match its key.');
  }
  let valid = false;
  try {
    valid = crypto.verify(alg.hash, parsed.cri, key.publicKey, parsed.signature);
  } catch {
    valid = false; // a malformed ECDSA signature makes verify throw rather than return false
  }
  if (!valid) {
    throw new CaError(
      CaErrorCode.CSR_SIGNATURE,
      'The signature of the request does not match its public key: the file was altered or corrupted. Create the request again.',
    );
  }
  return {
    subject: parsed.subject,
    commonName: parsed.commonName,
    dnsNames: parsed.dnsNames,
    otherAltNameTypes: parsed.otherAltNameTypes,
    signatureAlgorithm: parsed.signatureAlgorithm,
    key,
  };
}
