/**
 * Reading a PKCS#10 certificate signing request (RFC 2986): PEM or DER in, a parsed request
 * out, with its signature verified by Node's crypto.
 *
 * The structure is read by @peculiar/asn1-schema with the shape in csr-schema.ts (the types of
 * @peculiar/asn1-csr and asn1-x509); Node's `createPublicKey` learns algorithm and size from
 * the PublicKeyInfo. Every failure is a `CaError` with its own code, never an untyped
 * exception.
 */
import crypto from 'node:crypto';
import * as asn1js from 'asn1js';
import { AsnParser, type IAsnParseOptions } from '@peculiar/asn1-schema';
import type { Attributes } from '@peculiar/asn1-csr';
import { id_pkcs9_at_extensionRequest } from '@peculiar/asn1-pkcs9';
import { Extensions, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import { CaError, CaErrorCode } from './errors';
import { GeneralNamesAsRead, Request, type PublicKeyInfo, type SubjectName, type TaggedValue } from './csr-schema';
import { MAX_DNS_NAMES } from './dns-policy';
import { RSA_KEYS } from './profile';

/**
 * How untrusted input is parsed: OCTET and BIT STRINGs are not searched for embedded ASN.1
 * (asn1js does it by default, and reading the RSA modulus as a tree tripled the parse time);
 * an extension value is parsed when the CA reads that extension.
 */
const PARSE_OPTIONS: IAsnParseOptions = { berOptions: { parseEmbedded: false } };

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
  /** The PublicKeyInfo DER, copied into the certificate unchanged. */
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

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const UTF16BE = new TextDecoder('utf-16be', { fatal: true });

/** Universal tags of the string types a Name may use (X.680 8.4). */
const StringTag = { UTF8: 12, PRINTABLE: 19, T61: 20, IA5: 22, VISIBLE: 26, UNIVERSAL: 28, BMP: 30 } as const;
const UNIVERSAL_CLASS = 1;

/**
 * The text of a DirectoryString by its ASN.1 type, decoded once and strictly (issue 17.15):
 * asn1js reads an invalid UTF8String as Latin-1, so the library's decoded text is not used.
 */
function decodeString({ tagClass, tagNumber, constructed, content }: TaggedValue, what: string): string {
  const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (tagClass !== UNIVERSAL_CLASS || constructed) throw invalid(`${what} is not a string`);
  switch (tagNumber) {
    case StringTag.UTF8:
      try {
        return UTF8.decode(bytes);
      } catch {
        throw invalid(`${what} is not valid UTF-8`);
      }
    case StringTag.PRINTABLE:
    case StringTag.IA5:
    case StringTag.VISIBLE:
      if (bytes.some((b) => b > 0x7f)) throw invalid(`${what} holds bytes that are not ASCII in an ASCII string type`);
      return bytes.toString('latin1');
    case StringTag.T61:
      return bytes.toString('latin1'); // as OpenSSL reads a TeletexString
    case StringTag.BMP:
      try {
        if (bytes.length % 2 !== 0) throw new Error('odd length');
        return UTF16BE.decode(bytes);
      } catch {
        throw invalid(`${what} is not valid BMPString`);
      }
    case StringTag.UNIVERSAL: {
      if (bytes.length % 4 !== 0) throw invalid(`${what} is not valid UniversalString`);
      const codePoints = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readUInt32BE(i * 4));
      if (codePoints.some((c) => c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))) throw invalid(`${what} is not valid UniversalString`);
      return String.fromCodePoint(...codePoints);
    }
    default:
      throw invalid(`${what} is not a string (ASN.1 tag ${tagNumber})`);
  }
}

/** Short names of the subject attributes an operator knows (RFC 4514 and PKCS#9 emailAddress). */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '1.2.840.113549.1.9.1': 'E',
};

function readSubject(name: SubjectName): SubjectAttribute[] {
  return name.flatMap((rdn) =>
    rdn.map((atv) => {
      const shortName = SHORT_NAMES[atv.type];
      return { type: atv.type, ...(shortName ? { shortName } : {}), value: decodeString(atv.value, `the subject's ${shortName ?? atv.type}`) };
    }),
  );
}

/** The bytes of a name as an operator can read them: printable ASCII as is, any other byte as \xNN. */
const escapeBytes = (bytes: Uint8Array): string =>
  [...bytes].map((b) => (b >= 0x20 && b <= 0x7e && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');

/** GeneralName alternatives by context tag (RFC 5280 4.2.1.6). */
const ALT_NAME_TYPES = ['otherName', 'rfc822Name', 'dNSName', 'x400Address', 'directoryName', 'ediPartyName', 'uniformResourceIdentifier', 'iPAddress', 'registeredID'];
const CONTEXT_CLASS = 3;
const DNS_NAME_TAG = 2;

function readAltNames(extnValue: ArrayBuffer, out: { dnsNames: string[]; other: string[] }): void {
  const names = AsnParser.parse(extnValue, GeneralNamesAsRead, PARSE_OPTIONS);
  if (names.length > MAX_DNS_NAMES) {
    throw new CaError(
      CaErrorCode.SAN_TOO_MANY,
      `The request asks for ${names.length} alternative names; one certificate carries at most ${MAX_DNS_NAMES}. Split the names over several requests.`,
      { count: names.length, max: MAX_DNS_NAMES },
    );
  }
  for (const { element: gn } of names) {
    if (!gn || gn.tagClass !== CONTEXT_CLASS) throw invalid('an alternative name is not a GeneralName');
    if (gn.tagNumber !== DNS_NAME_TAG) {
      out.other.push(ALT_NAME_TYPES[gn.tagNumber] ?? `[${gn.tagNumber}]`);
      continue;
    }
    // dNSName is an IA5String: ASCII. Reading it 'ascii' dropped the high bit (0xe1 became 'a'),
    // so a name the requester never wrote passed the policy (issue 17.15). Refuse it instead.
    if (gn.constructed || gn.content.some((b) => b < 0x21 || b > 0x7e)) {
      const dnsName = escapeBytes(gn.content);
      throw new CaError(
        CaErrorCode.DNS_NAME_INVALID,
        `The request's DNS name "${dnsName}" holds a byte that is not ASCII or is a control character; ` +
          'DNS names are ASCII (an internationalized name is written in its xn-- form).',
        { dnsName },
      );
    }
    out.dnsNames.push(Buffer.from(gn.content).toString('latin1'));
  }
}

function readExtensionRequest(attributes: Attributes, out: { dnsNames: string[]; other: string[] }): void {
  for (const attribute of attributes) {
    if (attribute.type !== id_pkcs9_at_extensionRequest) continue;
    for (const value of attribute.values) {
      for (const extension of AsnParser.parse(value, Extensions, PARSE_OPTIONS)) {
        if (extension.extnID === id_ce_subjectAltName) readAltNames(extension.extnValue.buffer, out);
      }
    }
  }
}

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';

/**
 * Imports the key. OpenSSL 3's generic SPKI decoder costs ~140 µs per key on this machine, a
 * sixth of an RSA-2048 signature, so RSA keys go through the PKCS#1 decoder (~7 µs) instead:
 * the BIT STRING of an rsaEncryption SPKI (parameters NULL, no unused bits) is exactly an
 * RSAPublicKey.
 */
function importSpki(spki: Buffer, info: PublicKeyInfo): crypto.KeyObject {
  const { algorithm, subjectPublicKey } = info;
  // asn1-schema reads NULL parameters as null (absent ones stay undefined).
  if (algorithm.algorithm === RSA_ENCRYPTION && algorithm.parameters === null && subjectPublicKey.unusedBits === 0) {
    try {
      return crypto.createPublicKey({ key: Buffer.from(subjectPublicKey.value), format: 'der', type: 'pkcs1' });
    } catch {
      // not the simple RSA case: fall through to the generic decoder, which reports the problem
    }
  }
  return crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

/**
 * True when an EC PublicKeyInfo names its curve (parameters: namedCurve OID). OpenSSL
 * reads explicit parameters too and even reports the matching curve's name, but RFC 5480 2.1.1
 * forbids them in certificates and they are where curve-substitution attacks live.
 */
function hasNamedCurve(info: PublicKeyInfo): boolean {
  const parameters = info.algorithm.parameters;
  if (info.algorithm.algorithm !== EC_PUBLIC_KEY || !parameters) return false;
  const parsed = asn1js.fromBER(parameters, { parseEmbedded: false });
  return parsed.offset === parameters.byteLength && parsed.result instanceof asn1js.ObjectIdentifier;
}

/**
 * Reads the key and refuses what this CA never certifies, whatever the profile (issue 17.13):
 * RSA with another exponent than 65537 or above RSA_KEYS.maxBits, EC without a named curve.
 * This runs before the signature is verified, so an oversized key costs nothing.
 */
function readKey(spki: Buffer, info: PublicKeyInfo): CsrKey {
  let publicKey: crypto.KeyObject;
  try {
    publicKey = importSpki(spki, info);
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
    if (!hasNamedCurve(info)) {
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
  let parsed: Omit<ParsedCsr, 'key'> & { cri: Buffer; spki: Buffer; spkiInfo: PublicKeyInfo; signature: Buffer };
  try {
    const request = AsnParser.parse(der, Request, PARSE_OPTIONS);
    const { signature, certificationRequestInfo: info } = request;
    if (signature.inputLength !== der.length || signature.end !== der.length) throw invalid('it has bytes after the request');
    if (signature.unusedBits !== 0 || signature.bytes.length === 0) throw invalid('the signature is malformed');
    if (!request.certificationRequestInfoRaw || !info.subjectPKInfoRaw) throw invalid('the request info is missing');
    const subject = readSubject(info.subject);
    const alt = { dnsNames: [] as string[], other: [] as string[] };
    readExtensionRequest(info.attributes, alt);
    parsed = {
      subject,
      commonName: subject.find((a) => a.type === '2.5.4.3')?.value,
      dnsNames: alt.dnsNames,
      otherAltNameTypes: alt.other,
      signatureAlgorithm: request.signatureAlgorithm.algorithm,
      cri: Buffer.from(request.certificationRequestInfoRaw),
      spki: Buffer.from(info.subjectPKInfoRaw),
      spkiInfo: info.subjectPKInfo,
      signature: Buffer.from(signature.bytes),
    };
  } catch (err) {
    if (err instanceof CaError) throw err;
    throw invalid(`its structure cannot be read (${(err as Error).message})`);
  }

  const key = readKey(parsed.spki, parsed.spkiInfo);
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
