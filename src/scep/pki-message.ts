/**
 * SCEP pkiMessages (RFC 8894 §3): a CMS SignedData whose content is an EnvelopedData for the
 * CA. The structures are read and written with PKI.js/asn1js; every signature, digest and
 * RSA operation is Node's crypto. Only what SCEP clients send is accepted: key transport to the
 * CA's RSA key, DES/3DES/AES-CBC content encryption, RSA-signed with SHA-1 or SHA-2.
 */
import crypto from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import forge from 'node-forge';

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256: '2.16.840.1.101.3.4.2.1',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  messageType: '2.16.840.1.113733.1.9.2',
  pkiStatus: '2.16.840.1.113733.1.9.3',
  failInfo: '2.16.840.1.113733.1.9.4',
  senderNonce: '2.16.840.1.113733.1.9.5',
  recipientNonce: '2.16.840.1.113733.1.9.6',
  transactionID: '2.16.840.1.113733.1.9.7',
} as const;

/** RFC 8894 §3.2.1.2 messageType values the server reads or writes. */
export const MessageType = { CertRep: '3', RenewalReq: '17', PKCSReq: '19' } as const;
/** RFC 8894 §3.2.1.4 failInfo values. */
export const FailInfo = { badAlg: '0', badMessageCheck: '1', badRequest: '2', badTime: '3', badCertId: '4' } as const;
export type FailInfoValue = (typeof FailInfo)[keyof typeof FailInfo];

/** A request that cannot be answered with a CertRep at all (not CMS, not signed, ...): HTTP 400. */
export class ScepMessageError extends Error {}

/** A refusal that the client gets as a signed CertRep with pkiStatus FAILURE. */
export class ScepFailure extends Error {
  constructor(
    readonly failInfo: FailInfoValue,
    message: string,
  ) {
    super(message);
  }
}

const DIGESTS: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const CIPHERS: Readonly<Record<string, { name: string; keyLength: number }>> = {
  '1.3.14.3.2.7': { name: 'des-cbc', keyLength: 8 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
};

/** A pkiMessage from a client, its signature verified, its envelope not yet opened. */
export interface PkiRequest {
  messageType: string;
  transactionId: string;
  senderNonce: Buffer;
  /** The certificate the client signed with (self-signed for PKCSReq); the reply is encrypted to it. */
  signerCertificate: pkijs.Certificate;
  /** The DER of the EnvelopedData (the SignedData's content). */
  envelope: Buffer;
}

const view = (b: ArrayBuffer | Uint8Array): Buffer => Buffer.from(b instanceof ArrayBuffer ? new Uint8Array(b) : b);
const bufferOf = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

function parseBer<T>(der: Buffer, what: string, build: (schema: asn1js.AsnType) => T): T {
  const parsed = asn1js.fromBER(bufferOf(der));
  if (parsed.offset === -1 || parsed.offset !== der.length) throw new ScepMessageError(`${what} is not DER/BER: ${parsed.result.error || 'trailing bytes'}`);
  try {
    return build(parsed.result);
  } catch (err) {
    throw new ScepMessageError(`${what} is malformed: ${(err as Error).message}`);
  }
}

function contentInfo(der: Buffer, expected: string, what: string): pkijs.ContentInfo {
  const ci = parseBer(der, what, (schema) => new pkijs.ContentInfo({ schema }));
  if (ci.contentType !== expected) throw new ScepMessageError(`${what} has content type ${ci.contentType}, expected ${expected}`);
  return ci;
}

function attributeValue(attrs: pkijs.Attribute[] | undefined, type: string): asn1js.AsnType | undefined {
  const attr = attrs?.find((a) => a.type === type);
  return attr?.values[0] as asn1js.AsnType | undefined;
}

function stringAttribute(attrs: pkijs.Attribute[] | undefined, type: string, what: string): string {
  const value = attributeValue(attrs, type) as { valueBlock?: { value?: unknown } } | undefined;
  if (typeof value?.valueBlock?.value !== 'string') throw new ScepMessageError(`the signed attribute ${what} is missing`);
  return value.valueBlock.value;
}

function octetAttribute(attrs: pkijs.Attribute[] | undefined, type: string, what: string): Buffer {
  const value = attributeValue(attrs, type);
  if (!(value instanceof asn1js.OctetString)) throw new ScepMessageError(`the signed attribute ${what} is missing`);
  return view(value.getValue());
}

/**
 * The bytes of an OCTET STRING that PKI.js may hand over re-tagged from [0] IMPLICIT, as a
 * primitive or (BER) as constructed pieces.
 */
function octets(value: asn1js.BaseBlock): Buffer {
  const block = value.valueBlock as { value?: asn1js.BaseBlock[]; valueHexView?: Uint8Array };
  if (value.idBlock.isConstructed) return Buffer.concat((block.value ?? []).map(octets));
  return view(block.valueHexView ?? new Uint8Array());
}

const sameIssuerAndSerial = (cert: pkijs.Certificate, sid: pkijs.IssuerAndSerialNumber): boolean =>
  cert.issuer.isEqual(sid.issuer) && cert.serialNumber.isEqual(sid.serialNumber);

/** The public key of a PKI.js certificate, imported by Node. */
export const publicKeyOf = (cert: pkijs.Certificate): crypto.KeyObject =>
  crypto.createPublicKey({ key: view(cert.subjectPublicKeyInfo.toSchema().toBER()), format: 'der', type: 'spki' });

/**
 * Reads a PKCSReq/RenewalReq pkiMessage and verifies its signature (over the signed attributes,
 * whose messageDigest must match the content) with the signer certificate it carries.
 */
export function readPkiRequest(der: Buffer): PkiRequest {
  const ci = contentInfo(der, OID.signedData, 'the pkiMessage');
  const signed = parseBer(view(ci.content.toBER()), 'the SignedData', (schema) => new pkijs.SignedData({ schema }));
  const signer = signed.signerInfos[0];
  if (!signer || signed.signerInfos.length !== 1) throw new ScepMessageError('the pkiMessage must have exactly one signer');
  if (!(signer.sid instanceof pkijs.IssuerAndSerialNumber)) throw new ScepMessageError('the signer must be named by issuer and serial number');
  const sid = signer.sid;
  const signerCertificate = (signed.certificates ?? []).find((c): c is pkijs.Certificate => c instanceof pkijs.Certificate && sameIssuerAndSerial(c, sid));
  if (!signerCertificate) throw new ScepMessageError("the pkiMessage does not carry its signer's certificate");
  const content = signed.encapContentInfo.eContent;
  if (!content) throw new ScepMessageError('the pkiMessage has no content');
  const envelope = view(content.getValue());

  const hash = DIGESTS[signer.digestAlgorithm.algorithmId];
  if (!hash) throw new ScepFailure(FailInfo.badAlg, `digest algorithm ${signer.digestAlgorithm.algorithmId} is not supported`);
  const attrs = signer.signedAttrs?.attributes;
  if (!signer.signedAttrs || !attrs) throw new ScepMessageError('the pkiMessage has no signed attributes');
  const digest = octetAttribute(attrs, OID.messageDigest, 'messageDigest');
  if (!crypto.createHash(hash).update(envelope).digest().equals(digest)) throw new ScepFailure(FailInfo.badMessageCheck, 'the message digest does not match the content');
  const signedBytes = view(signer.signedAttrs.encodedValue); // PKI.js already turned its [0] tag into SET
  let valid = false;
  try {
    valid = crypto.verify(hash, signedBytes, publicKeyOf(signerCertificate), view(signer.signature.valueBlock.valueHexView));
  } catch {
    valid = false;
  }
  if (!valid) throw new ScepFailure(FailInfo.badMessageCheck, 'the signature of the pkiMessage does not verify');
  return {
    messageType: stringAttribute(attrs, OID.messageType, 'messageType'),
    transactionId: stringAttribute(attrs, OID.transactionID, 'transactionID'),
    senderNonce: octetAttribute(attrs, OID.senderNonce, 'senderNonce'),
    signerCertificate,
    envelope,
  };
}

/**
 * Opens an RSA PKCS#1 v1.5 key transport. Node refuses PKCS#1 v1.5 private decryption (the
 * Marvin timing attack, CVE-2023-46809), yet SCEP clients send nothing else: the raw RSA
 * operation stays native, and a malformed padding yields a random key instead of an error
 * (implicit rejection), so the caller fails later on the content without telling why.
 */
function openKeyTransport(privateKey: crypto.KeyObject, encryptedKey: Buffer, keyLength: number): Buffer {
  const block = crypto.privateDecrypt({ key: privateKey, padding: crypto.constants.RSA_NO_PADDING }, encryptedKey);
  const separator = block.indexOf(0, 2);
  const wellFormed = block[0] === 0 && block[1] === 2 && separator >= 10 && block.length - separator - 1 === keyLength;
  return wellFormed ? Buffer.from(block.subarray(separator + 1)) : crypto.randomBytes(keyLength);
}

function decryptContent(cipherName: string, key: Buffer, iv: Buffer, encrypted: Buffer): Buffer {
  if (cipherName === 'des-cbc') {
    // Single DES lives only in OpenSSL 3's legacy provider, which Node does not load; micromdm's
    // client (and old NDES clients) still encrypt with it by default. node-forge has it.
    const decipher = forge.cipher.createDecipher('DES-CBC', forge.util.createBuffer(key.toString('binary')));
    decipher.start({ iv: forge.util.createBuffer(iv.toString('binary')) });
    decipher.update(forge.util.createBuffer(encrypted.toString('binary')));
    if (!decipher.finish()) throw new Error('bad padding');
    return Buffer.from(decipher.output.getBytes(), 'binary');
  }
  const decipher = crypto.createDecipheriv(cipherName, key, iv);
  return Buffer.concat([decipher.update(encrypted), decipher.final()]);
}

/** The CA's side of an envelope: its certificate (to find its recipient info) and key. */
export interface EnvelopeRecipient {
  certificate: pkijs.Certificate;
  privateKey: crypto.KeyObject;
}

/** Decrypts the pkiMessage's EnvelopedData addressed to the CA; returns the inner content (the CSR's DER). */
export function openEnvelope(envelope: Buffer, recipient: EnvelopeRecipient): Buffer {
  const ci = contentInfo(envelope, OID.envelopedData, 'the pkcsPKIEnvelope');
  const enveloped = parseBer(view(ci.content.toBER()), 'the EnvelopedData', (schema) => new pkijs.EnvelopedData({ schema }));
  const mine = enveloped.recipientInfos
    .map((r) => r.value)
    .find((v): v is pkijs.KeyTransRecipientInfo => v instanceof pkijs.KeyTransRecipientInfo && v.rid instanceof pkijs.IssuerAndSerialNumber && sameIssuerAndSerial(recipient.certificate, v.rid));
  if (!mine) throw new ScepFailure(FailInfo.badMessageCheck, "the envelope is not encrypted to this CA's certificate (fetch it again with GetCACert)");
  if (mine.keyEncryptionAlgorithm.algorithmId !== OID.rsaEncryption) throw new ScepFailure(FailInfo.badAlg, `key encryption ${mine.keyEncryptionAlgorithm.algorithmId} is not supported; use RSA PKCS#1 v1.5`);
  const eci = enveloped.encryptedContentInfo;
  const cipher = CIPHERS[eci.contentEncryptionAlgorithm.algorithmId];
  if (!cipher) throw new ScepFailure(FailInfo.badAlg, `content encryption ${eci.contentEncryptionAlgorithm.algorithmId} is not supported; use AES or 3DES in CBC mode`);
  const ivParam = eci.contentEncryptionAlgorithm.algorithmParams as unknown;
  if (!(ivParam instanceof asn1js.OctetString)) throw new ScepMessageError('the content encryption has no IV');
  const encrypted = eci.encryptedContent;
  if (!encrypted) throw new ScepMessageError('the envelope has no encrypted content');
  const key = openKeyTransport(recipient.privateKey, view(mine.encryptedKey.valueBlock.valueHexView), cipher.keyLength);
  try {
    return decryptContent(cipher.name, key, view(ivParam.getValue()), octets(encrypted));
  } catch {
    throw new ScepFailure(FailInfo.badMessageCheck, "the envelope cannot be decrypted with this CA's key");
  }
}

const degenerateSignedData = (certificates: Buffer[]): Buffer => {
  const signed = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    certificates: certificates.map((der) => pkijs.Certificate.fromBER(bufferOf(der))),
    signerInfos: [],
  });
  return view(new pkijs.ContentInfo({ contentType: OID.signedData, content: signed.toSchema(true) }).toSchema().toBER());
};

/** A certs-only SignedData (GetCACert's CA/RA chain, CertRep's issued certificate). */
export const certsOnly = degenerateSignedData;

/** Encrypts `content` to the client's certificate: AES-256-CBC, key transport RSA PKCS#1 v1.5. */
function envelopeFor(content: Buffer, recipient: pkijs.Certificate): Buffer {
  const key = crypto.randomBytes(32);
  const iv = crypto.randomBytes(16);
  const cipher = crypto.createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(content), cipher.final()]);
  const encryptedKey = crypto.publicEncrypt({ key: publicKeyOf(recipient), padding: crypto.constants.RSA_PKCS1_PADDING }, key);
  const enveloped = new pkijs.EnvelopedData({
    version: 0,
    recipientInfos: [
      new pkijs.RecipientInfo({
        variant: 1,
        value: new pkijs.KeyTransRecipientInfo({
          version: 0,
          rid: new pkijs.IssuerAndSerialNumber({ issuer: recipient.issuer, serialNumber: recipient.serialNumber }),
          keyEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsaEncryption, algorithmParams: new asn1js.Null() }),
          encryptedKey: new asn1js.OctetString({ valueHex: bufferOf(encryptedKey) }),
        }),
      }),
    ],
    encryptedContentInfo: new pkijs.EncryptedContentInfo({
      contentType: OID.data,
      contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.aes256Cbc, algorithmParams: new asn1js.OctetString({ valueHex: bufferOf(iv) }) }),
      encryptedContent: new asn1js.OctetString({ valueHex: bufferOf(encrypted) }),
      disableSplit: true,
    }),
  });
  key.fill(0);
  return view(new pkijs.ContentInfo({ contentType: OID.envelopedData, content: enveloped.toSchema() }).toSchema().toBER());
}

/** The CA that signs CertReps: its certificate and a signer (Node's crypto, see src/ca/signer.ts). */
export interface CertRepSigner {
  certificate: pkijs.Certificate;
  /** Signs with SHA-256 (RSA PKCS#1 v1.5). */
  sign(data: Buffer): Promise<Buffer>;
}

export interface CertRepInput {
  request: Pick<PkiRequest, 'transactionId' | 'senderNonce' | 'signerCertificate'>;
  /** The issued certificate (DER) on success, or the refusal. */
  outcome: { certificate: Buffer } | { failInfo: FailInfoValue };
}

/**
 * Builds a CertRep (RFC 8894 §3.3.2): SUCCESS with the issued certificate in a certs-only
 * SignedData encrypted to the client, or FAILURE with a failInfo and no content.
 */
export async function buildCertRep(input: CertRepInput, ca: CertRepSigner): Promise<Buffer> {
  const success = 'certificate' in input.outcome;
  const content = 'certificate' in input.outcome ? envelopeFor(degenerateSignedData([input.outcome.certificate]), input.request.signerCertificate) : undefined;
  const attr = (type: string, value: asn1js.AsnType): pkijs.Attribute => new pkijs.Attribute({ type, values: [value] });
  const attributes = [
    attr(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.data })),
    attr(OID.messageDigest, new asn1js.OctetString({ valueHex: bufferOf(crypto.createHash('sha256').update(content ?? Buffer.alloc(0)).digest()) })),
    attr(OID.messageType, new asn1js.PrintableString({ value: MessageType.CertRep })),
    attr(OID.pkiStatus, new asn1js.PrintableString({ value: success ? '0' : '2' })),
    attr(OID.transactionID, new asn1js.PrintableString({ value: input.request.transactionId })),
    attr(OID.recipientNonce, new asn1js.OctetString({ valueHex: bufferOf(input.request.senderNonce) })),
    attr(OID.senderNonce, new asn1js.OctetString({ valueHex: bufferOf(crypto.randomBytes(16)) })),
    ...('failInfo' in input.outcome ? [attr(OID.failInfo, new asn1js.PrintableString({ value: input.outcome.failInfo }))] : []),
  ];
  // DER's SET OF is sorted by encoding; verifiers (Go's asn1) re-encode the set sorted before checking.
  const encoded = attributes.map((a) => ({ a, der: view(a.toSchema().toBER()) })).sort((x, y) => Buffer.compare(x.der, y.der));
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: encoded.map((e) => e.a) });
  const toSign = view(signedAttrs.toSchema().toBER());
  toSign[0] = 0x31; // signed as a SET, sent as [0] IMPLICIT
  const signature = await ca.sign(toSign);

  const sha256 = new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256, algorithmParams: new asn1js.Null() });
  const signed = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [sha256],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: OID.data,
      ...(content ? { eContent: new asn1js.OctetString({ valueHex: bufferOf(content) }) } : {}),
    }),
    certificates: [ca.certificate],
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: ca.certificate.issuer, serialNumber: ca.certificate.serialNumber }),
        digestAlgorithm: sha256,
        signedAttrs,
        signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsaEncryption, algorithmParams: new asn1js.Null() }),
        signature: new asn1js.OctetString({ valueHex: bufferOf(signature) }),
      }),
    ],
  });
  return view(new pkijs.ContentInfo({ contentType: OID.signedData, content: signed.toSchema(true) }).toSchema().toBER());
}

/** Reads a certificate (DER) into PKI.js. */
export const certificateOf = (der: Buffer): pkijs.Certificate => pkijs.Certificate.fromBER(bufferOf(der));
