/**
 * Builds and signs X.509 v3 certificates: node-forge's ASN.1 module lays out and writes the
 * TBSCertificate, Node's native crypto signs it (see signer.ts).
 *
 * The TBSCertificate is put together from forge ASN.1 nodes here, in the layout forge's
 * certificate object writes (same bytes), without that object: its setSubject, setExtensions and
 * getTBSCertificate looked up names and OIDs and encoded every extension anew for each
 * certificate, ~130 µs of the issuance hot path. What is the same for many certificates — the
 * issuer's Name, AlgorithmIdentifier and authority key identifier, the CRL distribution point,
 * the key usages — is made once and kept. The signature AlgorithmIdentifier (ECDSA has no
 * parameters), the issuer Name (as the issuer certificate has it) and the SubjectPublicKeyInfo
 * (as the CSR or the generated key has it) are forge's reading of their DER.
 *
 * Why forge and not @peculiar/asn1-x509, which the CRL uses: asn1-schema's serializer (asn1js
 * toBER) took ~600 µs per TBSCertificate here against forge's ~100 µs, twice an RSA-2048
 * signature, on the issuance hot path (measured for issue 12; bench:ca). Nothing here reads
 * untrusted input: the parts that come from a request were parsed by csr.ts.
 */
import crypto from 'node:crypto';
import forge from 'node-forge';
import { AsnParser } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import type { NameAttribute } from './request-policy';
import type { Signer } from './signer';
import { strictFromDer } from './forge-extras';
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

const { asn1 } = forge;
const { UNIVERSAL, CONTEXT_SPECIFIC } = asn1.Class;
const T = asn1.Type;
type Node = forge.asn1.Asn1;
const node = (tagClass: forge.asn1.Class, type: number, constructed: boolean, value: string | Node[]): Node => asn1.create(tagClass, type as forge.asn1.Type, constructed, value);
const binary = (b: Buffer): string => b.toString('binary');
const asn1FromDer = (der: Buffer): Node => strictFromDer(binary(der));
const oid = (dotted: string): Node => node(UNIVERSAL, T.OID, false, asn1.oidToDer(dotted).getBytes());
const der = (n: Node): string => asn1.toDer(n).getBytes();
const TRUE = String.fromCharCode(0xff);

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING (the value's DER) } */
const extension = (id: string, critical: boolean, value: Node): Node =>
  node(UNIVERSAL, T.SEQUENCE, true, [oid(id), ...(critical ? [node(UNIVERSAL, T.BOOLEAN, false, TRUE)] : []), node(UNIVERSAL, T.OCTETSTRING, false, der(value))]);

const OIDS = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  cRLDistributionPoints: '2.5.29.31',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;
const NAME_OIDS: Readonly<Record<NameAttribute['shortName'], string>> = { CN: '2.5.4.3', C: '2.5.4.6', L: '2.5.4.7', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11' };

/** Extensions and issuer parts that many certificates share, made once (a few profiles and CAs: the maps stay small). */
const shared = new Map<string, Node>();
function once(key: string, make: () => Node): Node {
  let made = shared.get(key);
  if (!made) {
    if (shared.size > 1000) shared.clear(); // a bound, never reached by a real configuration
    made = make();
    shared.set(key, made);
  }
  return made;
}

/** The issuer's parts of every TBSCertificate it signs. */
interface IssuerParts {
  algorithm: Node;
  name: Node;
  authorityKeyIdentifier: Node;
}
const issuerParts = new WeakMap<IssuerInfo, IssuerParts>();
function partsOf(issuer: IssuerInfo): IssuerParts {
  let parts = issuerParts.get(issuer);
  if (!parts) {
    parts = {
      algorithm: asn1FromDer(issuer.signer.algorithmIdentifier),
      name: asn1FromDer(issuer.name),
      // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT KeyIdentifier OPTIONAL, ... }
      authorityKeyIdentifier: extension(OIDS.authorityKeyIdentifier, false, node(UNIVERSAL, T.SEQUENCE, true, [node(CONTEXT_SPECIFIC, 0, false, binary(issuer.keyIdentifier))])),
    };
    issuerParts.set(issuer, parts);
  }
  return parts;
}

/** KeyUsage BIT STRING, as forge writes it: the named bits, the unused bits after the last one. */
function keyUsage(bits: { digitalSignature?: boolean; keyEncipherment?: boolean; keyCertSign?: boolean; cRLSign?: boolean }): Node {
  const order = [
    ['digitalSignature', 0x80, 7],
    ['keyEncipherment', 0x20, 5],
    ['keyCertSign', 0x04, 2],
    ['cRLSign', 0x02, 1],
  ] as const;
  let byte = 0;
  let unused = 0;
  for (const [name, bit, after] of order) {
    if (bits[name]) {
      byte |= bit;
      unused = after;
    }
  }
  return node(UNIVERSAL, T.BITSTRING, false, String.fromCharCode(unused) + (byte ? String.fromCharCode(byte) : ''));
}

function extensionsFor(spec: CertificateSpec, issuer: IssuerInfo, subjectKeyId: Buffer): Node[] {
  const exts: Node[] = [];
  if (spec.ca) {
    const pathLength = spec.ca.pathLength;
    exts.push(
      once(`bc:ca:${pathLength ?? ''}`, () =>
        extension(OIDS.basicConstraints, true, node(UNIVERSAL, T.SEQUENCE, true, [
          node(UNIVERSAL, T.BOOLEAN, false, TRUE),
          ...(pathLength !== undefined ? [node(UNIVERSAL, T.INTEGER, false, asn1.integerToDer(pathLength).getBytes())] : []),
        ])),
      ),
      once('ku:ca', () => extension(OIDS.keyUsage, true, keyUsage({ keyCertSign: true, cRLSign: true, digitalSignature: true }))),
    );
  } else {
    const ku = { digitalSignature: !!spec.keyUsage?.digitalSignature, keyEncipherment: !!spec.keyUsage?.keyEncipherment };
    exts.push(
      once('bc:ee', () => extension(OIDS.basicConstraints, true, node(UNIVERSAL, T.SEQUENCE, true, []))),
      once(`ku:${ku.digitalSignature}:${ku.keyEncipherment}`, () => extension(OIDS.keyUsage, true, keyUsage(ku))),
    );
  }
  const eku = [...new Set(spec.extendedKeyUsage ?? [])];
  if (eku.length) {
    exts.push(once(`eku:${eku.join(',')}`, () => extension(OIDS.extKeyUsage, false, node(UNIVERSAL, T.SEQUENCE, true, eku.map((u) => oid(OIDS[u]))))));
  }
  if (spec.dnsNames?.length) {
    // GeneralName dNSName [2] IMPLICIT IA5String
    exts.push(extension(OIDS.subjectAltName, false, node(UNIVERSAL, T.SEQUENCE, true, spec.dnsNames.map((name) => node(CONTEXT_SPECIFIC, 2, false, name)))));
  }
  exts.push(extension(OIDS.subjectKeyIdentifier, false, node(UNIVERSAL, T.OCTETSTRING, false, binary(subjectKeyId))));
  if (!spec.selfSigned) exts.push(partsOf(issuer).authorityKeyIdentifier);
  const crlUrl = spec.crlUrl;
  if (crlUrl) {
    // CRLDistributionPoints ::= SEQUENCE OF DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames { [6] URI } } }
    exts.push(
      once(`crl:${crlUrl}`, () =>
        extension(OIDS.cRLDistributionPoints, false, node(UNIVERSAL, T.SEQUENCE, true, [
          node(UNIVERSAL, T.SEQUENCE, true, [node(CONTEXT_SPECIFIC, 0, true, [node(CONTEXT_SPECIFIC, 0, true, [node(CONTEXT_SPECIFIC, 6, false, crlUrl)])])]),
        ])),
      ),
    );
  }
  return exts;
}

/**
 * RFC 5280 4.2.1.2 method 1 (as keyIdentifier in x509.ts) from forge's reading of the SPKI, which
 * the TBS needs anyway: reading it again with asn1-schema cost 20 µs per certificate.
 */
function subjectKeyIdentifier(spki: Node): Buffer {
  const bits = (spki.value as Node[])[1];
  if (!bits || bits.type !== T.BITSTRING || typeof bits.value !== 'string') throw new Error('SubjectPublicKeyInfo without a BIT STRING key');
  return crypto.createHash('sha1').update(Buffer.from(bits.value, 'binary').subarray(1)).digest();
}

/** Name ::= SEQUENCE OF SET OF AttributeTypeAndValue: PrintableString for the country (X.520), UTF8String for the rest (RFC 5280 4.1.2.4). */
function nameNode(subject: NameAttribute[]): Node {
  return node(
    UNIVERSAL,
    T.SEQUENCE,
    true,
    subject.map((a) =>
      node(UNIVERSAL, T.SET, true, [
        node(UNIVERSAL, T.SEQUENCE, true, [
          oid(NAME_OIDS[a.shortName]),
          a.shortName === 'C' ? node(UNIVERSAL, T.PRINTABLESTRING, false, a.value) : node(UNIVERSAL, T.UTF8, false, forge.util.encodeUtf8(a.value)),
        ]),
      ]),
    ),
  );
}

const UTC_FROM = Date.UTC(1950, 0, 1);
const UTC_UNTIL = Date.UTC(2050, 0, 1);
/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
const time = (d: Date): Node =>
  d.getTime() >= UTC_FROM && d.getTime() < UTC_UNTIL
    ? node(UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(d))
    : node(UNIVERSAL, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));

const VERSION_3 = node(CONTEXT_SPECIFIC, 0, true, [node(UNIVERSAL, T.INTEGER, false, asn1.integerToDer(2).getBytes())]);

/** forge's TBSCertificate for `spec`, to be signed by `issuer`. */
function tbsCertificate(spec: CertificateSpec, issuer: IssuerInfo): Node {
  const parts = partsOf(issuer);
  // keep the INTEGER positive: a leading zero byte when the top bit is set
  const serial = (spec.serial[0]! & 0x80) !== 0 ? `\u0000${binary(spec.serial)}` : binary(spec.serial);
  const spki = asn1FromDer(spec.spki);
  return node(UNIVERSAL, T.SEQUENCE, true, [
    VERSION_3,
    node(UNIVERSAL, T.INTEGER, false, serial),
    parts.algorithm,
    parts.name,
    node(UNIVERSAL, T.SEQUENCE, true, [time(spec.notBefore), time(spec.notAfter)]),
    nameNode(spec.subject),
    spki,
    node(CONTEXT_SPECIFIC, 3, true, [node(UNIVERSAL, T.SEQUENCE, true, extensionsFor(spec, issuer, subjectKeyIdentifier(spki)))]),
  ]);
}

/** The DER TBSCertificate for `spec`, to be signed by `issuer`. */
export const buildTbsCertificate = (spec: CertificateSpec, issuer: IssuerInfo): Buffer => Buffer.from(der(tbsCertificate(spec, issuer)), 'binary');

/** Builds the certificate and signs it natively with the issuer's key. */
export async function buildCertificate(spec: CertificateSpec, issuer: IssuerInfo): Promise<BuiltCertificate> {
  const tbs = tbsCertificate(spec, issuer);
  const signature = await issuer.signer.sign(Buffer.from(der(tbs), 'binary'));
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING } (no unused bits)
  const signatureValue = node(UNIVERSAL, T.BITSTRING, false, `\u0000${binary(signature)}`);
  const certificate = node(UNIVERSAL, T.SEQUENCE, true, [tbs, partsOf(issuer).algorithm, signatureValue]);
  const certDer = Buffer.from(der(certificate), 'binary');
  return { der: certDer, pem: toPem(certDer, 'CERTIFICATE') };
}

/** The same Name as @peculiar/asn1-x509's type (for the CSR builder). */
export const nameOf = (subject: NameAttribute[]): Name => AsnParser.parse(encodeName(subject), Name, PARSE_FLAT);

/** The subject Name DER of a certificate built from these attributes (for a self-signed root's issuer). */
export const encodeName = (subject: NameAttribute[]): Buffer => Buffer.from(der(nameNode(subject)), 'binary');
