/**
 * Builds a PKCS#10 CSR in-process with @peculiar/asn1-csr and Node's crypto (RSA or EC key):
 * for demo data and the benchmark, where running OpenSSL per request would dominate. Operators
 * bring their own CSRs.
 */
import crypto from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { ExtensionRequest, id_pkcs9_at_extensionRequest } from '@peculiar/asn1-pkcs9';
import { AlgorithmIdentifier, Attribute, Extension, GeneralName, id_ce_subjectAltName, SubjectAlternativeName } from '@peculiar/asn1-x509';
import { nameOf } from './certificate-builder';
import { readSpki } from './x509';

export interface CsrInput {
  keyPair: { publicKey: crypto.KeyObject; privateKey: crypto.KeyObject };
  commonName: string;
  /** subjectAltName DNS names. Default none. */
  dnsNames?: string[];
}

const toArrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** The CSR as DER, signed with SHA-256 by the key pair's private key. */
export function buildCsr({ keyPair, commonName, dnsNames = [] }: CsrInput): Buffer {
  // attributes [0]: an extensionRequest with the subjectAltName, or empty.
  const attributes = new Attributes();
  if (dnsNames.length > 0) {
    const san = new SubjectAlternativeName(dnsNames.map((dNSName) => new GeneralName({ dNSName })));
    const extensions = new ExtensionRequest([new Extension({ extnID: id_ce_subjectAltName, extnValue: new OctetString(AsnConvert.serialize(san)) })]);
    attributes.push(new Attribute({ type: id_pkcs9_at_extensionRequest, values: [AsnConvert.serialize(extensions)] }));
  }
  const info = new CertificationRequestInfo({
    version: 0,
    subject: nameOf([{ shortName: 'CN', value: commonName }]),
    subjectPKInfo: readSpki(keyPair.publicKey.export({ format: 'der', type: 'spki' })),
    attributes,
  });
  const signed = Buffer.from(AsnConvert.serialize(info));
  const rsa = keyPair.privateKey.asymmetricKeyType === 'rsa';
  const signatureAlgorithm = rsa ? new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: null }) : new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' });
  const signature = toArrayBuffer(crypto.sign('sha256', signed, keyPair.privateKey));
  return Buffer.from(AsnConvert.serialize(new CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm, signature })));
}
