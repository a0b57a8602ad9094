/**
 * Reading a PKCS#10 certificate signing request (RFC 2986): PEM or DER in, a parsed request
 * out, with its signature verified by Node's crypto.
 *
 * The DER is read by node-forge's ASN.1 parser (strict lengths, nesting bounded, BIT and OCTET
 * STRINGs never searched for nested ASN.1); this module checks the shape of what it read (which
 * element is where, of which type) and takes the values out. Why forge and not asn1js (pkijs,
 * @peculiar/asn1-schema): asn1js 4's fromBER alone took ~210 µs per request on this machine
 * against forge's ~4 µs, more than half of an RSA-2048 signature on the issuance hot path
 * (issue 12, bench/ca-profile.ts). The signature is verified over the DER of the request info
 * as forge writes it back from what it read, so what is checked and certified is exactly what
 * was signed; a request that is not DER fails that check. Node's `createPublicKey` learns
 * algorithm and size from the PublicKeyInfo. Every failure is a `CaError` with its own code,
 * never an untyped exception.
 */
import crypto from 'node:crypto';
import forge from 'node-forge';
import { CaError, CaErrorCode } from './errors';
import { childrenOf, Class, contentOf, isUniversal, readElement, toDerBuffer, Type, type Asn1 } from './forge-extras';
import { MAX_DNS_NAMES } from './dns-policy';
import { RSA_KEYS } from './profile';

/** Deepest nesting a request needs (request, info, attributes, attribute, values, extensions, extension): anything deeper is refused. */
const MAX_DEPTH = 12;

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

/** The request's shape is not PKCS#10's. */
const unreadable = (why: string): CaError => invalid(`its structure cannot be read (${why})`);

/** The children of a universal SEQUENCE or SET, or the refusal naming `what`. */
function partsOf(node: Asn1 | undefined, type: number, what: string): Asn1[] {
  const children = isUniversal(node, type) ? childrenOf(node) : undefined;
  if (!children) throw unreadable(`${what} is not a ${type === Type.SET ? 'SET' : 'SEQUENCE'}`);
  return children;
}

/** A dotted OID from an OBJECT IDENTIFIER node. */
function oidOf(node: Asn1 | undefined, what: string): string {
  const content = isUniversal(node, Type.OID) ? contentOf(node) : undefined;
  if (!content || content.length === 0) throw unreadable(`${what} is not an OBJECT IDENTIFIER`);
  try {
    return forge.asn1.derToOid(content.toString('binary'));
  } catch {
    throw unreadable(`${what} is not an OBJECT IDENTIFIER`);
  }
}

/** A BIT STRING's unused-bit count and bytes. */
function bitStringOf(node: Asn1 | undefined, what: string): { unusedBits: number; bytes: Buffer } {
  const content = isUniversal(node, Type.BITSTRING) ? contentOf(node) : undefined;
  if (!content || content.length === 0) throw unreadable(`${what} is not a BIT STRING`);
  return { unusedBits: content[0]!, bytes: content.subarray(1) };
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } */
interface AlgorithmIdentifier {
  algorithm: string;
  /** Absent: undefined. */
  parameters?: Asn1;
}
function algorithmOf(node: Asn1 | undefined, what: string): AlgorithmIdentifier {
  const parts = partsOf(node, Type.SEQUENCE, what);
  if (parts.length < 1 || parts.length > 2) throw unreadable(`${what} is not an AlgorithmIdentifier`);
  return { algorithm: oidOf(parts[0], what), parameters: parts[1] };
}

/** SubjectPublicKeyInfo (RFC 5280 4.1.2.7) as read. */
interface PublicKeyInfo {
  algorithm: AlgorithmIdentifier;
  subjectPublicKey: { unusedBits: number; bytes: Buffer };
}

/**
 * The text of a DirectoryString by its ASN.1 type, decoded once and strictly (issue 17.15):
 * from its bytes, never from a library's reading of them.
 */
function decodeString(node: Asn1, what: string): string {
  const bytes = contentOf(node);
  if (node.tagClass !== Class.UNIVERSAL || !bytes) throw invalid(`${what} is not a string`);
  switch (node.type as number) {
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
      throw invalid(`${what} is not a string (ASN.1 tag ${node.type})`);
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

/** Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue { type, value }) */
function readSubject(name: Asn1 | undefined): SubjectAttribute[] {
  return partsOf(name, Type.SEQUENCE, 'the subject').flatMap((rdn) =>
    partsOf(rdn, Type.SET, 'a part of the subject').map((atv) => {
      const parts = partsOf(atv, Type.SEQUENCE, 'a subject attribute');
      if (parts.length !== 2) throw unreadable('a subject attribute is not a type and a value');
      const type = oidOf(parts[0], 'a subject attribute type');
      const shortName = SHORT_NAMES[type];
      return { type, ...(shortName ? { shortName } : {}), value: decodeString(parts[1]!, `the subject's ${shortName ?? type}`) };
    }),
  );
}

/** The bytes of a name as an operator can read them: printable ASCII as is, any other byte as \xNN. */
const escapeBytes = (bytes: Uint8Array): string =>
  [...bytes].map((b) => (b >= 0x20 && b <= 0x7e && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');

/** GeneralName alternatives by context tag (RFC 5280 4.2.1.6). */
const ALT_NAME_TYPES = ['otherName', 'rfc822Name', 'dNSName', 'x400Address', 'directoryName', 'ediPartyName', 'uniformResourceIdentifier', 'iPAddress', 'registeredID'];
const DNS_NAME_TAG = 2;
const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SUBJECT_ALT_NAME = '2.5.29.17';

/** Reads one whole DER element from `der` (an extension's value); bytes after it are refused. */
function readWhole(der: Buffer, what: string): Asn1 {
  const buffer = forge.util.createBuffer(der.toString('binary'));
  let node: Asn1;
  try {
    node = readElement(buffer, MAX_DEPTH);
  } catch (err) {
    throw unreadable(`${what}: ${(err as Error).message}`);
  }
  if (buffer.length() !== 0) throw unreadable(`${what} has bytes after it`);
  return node;
}

/**
 * GeneralNames, each name taken as its context tag and content: the CA takes dNSName bytes and
 * only names the other types (it never issues them).
 */
function readAltNames(extnValue: Buffer, out: { dnsNames: string[]; other: string[] }): void {
  const names = partsOf(readWhole(extnValue, 'the subjectAltName'), Type.SEQUENCE, 'the subjectAltName');
  if (names.length > MAX_DNS_NAMES) {
    throw new CaError(
      CaErrorCode.SAN_TOO_MANY,
      `The request asks for ${names.length} alternative names; one certificate carries at most ${MAX_DNS_NAMES}. Split the names over several requests.`,
      { count: names.length, max: MAX_DNS_NAMES },
    );
  }
  for (const gn of names) {
    if (gn.tagClass !== Class.CONTEXT_SPECIFIC) throw invalid('an alternative name is not a GeneralName');
    if (gn.type !== DNS_NAME_TAG) {
      out.other.push(ALT_NAME_TYPES[gn.type] ?? `[${gn.type}]`);
      continue;
    }
    // dNSName is an IA5String: ASCII. Reading it 'ascii' dropped the high bit (0xe1 became 'a'),
    // so a name the requester never wrote passed the policy (issue 17.15). Refuse it instead.
    const content = contentOf(gn) ?? Buffer.alloc(0);
    if (gn.constructed || content.some((b) => b < 0x21 || b > 0x7e)) {
      const dnsName = escapeBytes(content);
      throw new CaError(
        CaErrorCode.DNS_NAME_INVALID,
        `The request's DNS name "${dnsName}" holds a byte that is not ASCII or is a control character; ` +
          'DNS names are ASCII (an internationalized name is written in its xn-- form).',
        { dnsName },
      );
    }
    out.dnsNames.push(content.toString('latin1'));
  }
}

/**
 * attributes [0] IMPLICIT SET OF Attribute { type, values SET OF ANY }; of them, the
 * extensionRequest (PKCS#9) with Extensions ::= SEQUENCE OF Extension { extnID, critical
 * BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }, of which the subjectAltName.
 */
function readExtensionRequest(attributes: Asn1[], out: { dnsNames: string[]; other: string[] }): void {
  for (const attribute of attributes) {
    const parts = partsOf(attribute, Type.SEQUENCE, 'an attribute');
    if (parts.length !== 2) throw unreadable('an attribute is not a type and values');
    const values = partsOf(parts[1], Type.SET, 'the values of an attribute');
    if (oidOf(parts[0], 'an attribute type') !== EXTENSION_REQUEST) continue;
    for (const value of values) {
      for (const extension of partsOf(value, Type.SEQUENCE, 'the extension request')) {
        const fields = partsOf(extension, Type.SEQUENCE, 'an extension');
        const critical = fields.length === 3 ? fields[1] : undefined;
        const extnValue = fields[fields.length - 1];
        if (fields.length < 2 || fields.length > 3 || (critical && !isUniversal(critical, Type.BOOLEAN)) || !isUniversal(extnValue, Type.OCTETSTRING) || extnValue.constructed) {
          throw unreadable('an extension is not an OID, a criticality and an OCTET STRING');
        }
        if (oidOf(fields[0], 'an extension id') === SUBJECT_ALT_NAME) readAltNames(contentOf(extnValue)!, out);
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
  const nullParameters = isUniversal(algorithm.parameters, Type.NULL) && contentOf(algorithm.parameters)?.length === 0;
  if (algorithm.algorithm === RSA_ENCRYPTION && nullParameters && subjectPublicKey.unusedBits === 0) {
    try {
      return crypto.createPublicKey({ key: subjectPublicKey.bytes, format: 'der', type: 'pkcs1' });
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
  return info.algorithm.algorithm === EC_PUBLIC_KEY && isUniversal(parameters, Type.OID) && !parameters.constructed;
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

/** A request read and checked up to its signature, which is still to be verified. */
interface ReadRequest {
  csr: ParsedCsr;
  /** The digest of the signature. */
  hash: string;
  /** The signed bytes: the CertificationRequestInfo's DER. */
  cri: Buffer;
  signature: Buffer;
}

/** Reads the structure, the names and the key, and checks the signature algorithm against the key. */
function readRequest(input: string | Uint8Array): ReadRequest {
  const der = csrToDer(input);
  let parsed: Omit<ParsedCsr, 'key'> & { cri: Buffer; spki: Buffer; spkiInfo: PublicKeyInfo; signature: Buffer };
  try {
    const buffer = forge.util.createBuffer(der.toString('binary'));
    let request: Asn1;
    try {
      request = readElement(buffer, MAX_DEPTH);
    } catch (err) {
      throw unreadable((err as Error).message);
    }
    if (buffer.length() !== 0) throw invalid('it has bytes after the request');
    // CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }
    const [info, signatureAlgorithm, signatureValue, ...more] = partsOf(request, Type.SEQUENCE, 'the request');
    if (!info || !signatureValue || more.length > 0) throw invalid('the request info is missing');
    const signature = bitStringOf(signatureValue, 'the signature');
    if (signature.unusedBits !== 0 || signature.bytes.length === 0) throw invalid('the signature is malformed');
    const algorithm = algorithmOf(signatureAlgorithm, 'the signature algorithm');
    // CertificationRequestInfo ::= SEQUENCE { version INTEGER, subject Name, subjectPKInfo, attributes [0] IMPLICIT OPTIONAL }
    const [version, subjectName, spkiNode, attributes, ...rest] = partsOf(info, Type.SEQUENCE, 'the request info');
    if (!isUniversal(version, Type.INTEGER) || version.constructed) throw unreadable('the version is not an INTEGER');
    const attributeSet = attributes && attributes.tagClass === Class.CONTEXT_SPECIFIC && attributes.type === 0 ? childrenOf(attributes) : undefined;
    if (rest.length > 0 || (attributes && !attributeSet)) throw unreadable('the request info has unknown fields');
    const [keyAlgorithm, keyBits, ...keyRest] = partsOf(spkiNode, Type.SEQUENCE, 'the public key info');
    if (keyRest.length > 0) throw unreadable('the public key info has unknown fields');
    const spkiInfo = { algorithm: algorithmOf(keyAlgorithm, 'the key algorithm'), subjectPublicKey: bitStringOf(keyBits, 'the public key') };
    const subject = readSubject(subjectName);
    const alt = { dnsNames: [] as string[], other: [] as string[] };
    readExtensionRequest(attributeSet ?? [], alt);
    parsed = {
      subject,
      commonName: subject.find((a) => a.type === '2.5.4.3')?.value,
      dnsNames: alt.dnsNames,
      otherAltNameTypes: alt.other,
      signatureAlgorithm: algorithm.algorithm,
      cri: toDerBuffer(info),
      spki: toDerBuffer(spkiNode!),
      spkiInfo,
      signature: signature.bytes,
    };
  } catch (err) {
    if (err instanceof CaError) throw err;
    throw unreadable((err as Error).message);
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
  return {
    csr: {
      subject: parsed.subject,
      commonName: parsed.commonName,
      dnsNames: parsed.dnsNames,
      otherAltNameTypes: parsed.otherAltNameTypes,
      signatureAlgorithm: parsed.signatureAlgorithm,
      key,
    },
    hash: alg.hash,
    cri: parsed.cri,
    signature: parsed.signature,
  };
}

function verified(request: ReadRequest, valid: boolean): ParsedCsr {
  if (!valid) {
    throw new CaError(
      CaErrorCode.CSR_SIGNATURE,
      'The signature of the request does not match its public key: the file was altered or corrupted. Create the request again.',
    );
  }
  return request.csr;
}

/**
 * Parses a CSR (PEM, base64 or DER) and verifies its signature.
 * Throws `CaError` with CSR_EMPTY, CSR_TOO_LARGE, CSR_INVALID, CSR_SIGNATURE_ALGORITHM,
 * CSR_SIGNATURE or KEY_UNSUPPORTED.
 */
export function parseCsr(input: string | Uint8Array): ParsedCsr {
  const request = readRequest(input);
  let valid = false;
  try {
    valid = crypto.verify(request.hash, request.cri, request.csr.key.publicKey, request.signature);
  } catch {
    valid = false; // a malformed ECDSA signature makes verify throw rather than return false
  }
  return verified(request, valid);
}

/**
 * parseCsr with the signature verified on the libuv thread pool, so the issuance hot path
 * leaves the JavaScript thread to the next request meanwhile. Same checks, same errors.
 */
export async function parseCsrOffThread(input: string | Uint8Array): Promise<ParsedCsr> {
  const request = readRequest(input);
  const valid = await new Promise<boolean>((resolve) => {
    try {
      // A malformed ECDSA signature is an error rather than false.
      crypto.verify(request.hash, request.cri, request.csr.key.publicKey, request.signature, (err, result) => resolve(!err && result));
    } catch {
      resolve(false);
    }
  });
  return verified(request, valid);
}
