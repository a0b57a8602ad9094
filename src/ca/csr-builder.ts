/**
 * Builds a PKCS#10 CSR in-process with Node's crypto (RSA or EC key): for demo data and the
 * benchmark, where running OpenSSL per request would dominate. Operators bring their own CSRs.
 */
import crypto from 'node:crypto';
import { encodeName } from './certificate-builder';
import { bitString, explicit, integer, octetString, oid, sequence, setOf, tlv } from './der';

export interface CsrInput {
  keyPair: { publicKey: crypto.KeyObject; privateKey: crypto.KeyObject };
  commonName: string;
  /** subjectAltName DNS names. Default none. */
  dnsNames?: string[];
}

/** The CSR as DER, signed with SHA-256 by the key pair's private key. */
export function buildCsr({ keyPair, commonName, dnsNames = [] }: CsrInput): Buffer {
  const spki = keyPair.publicKey.export({ format: 'der', type: 'spki' });
  // attributes [0]: an extensionRequest with the subjectAltName, or empty.
  const san = sequence(oid('2.5.29.17'), octetString(sequence(...dnsNames.map((d) => tlv(0x82, Buffer.from(d))))));
  const attributes = explicit(0, dnsNames.length === 0 ? Buffer.alloc(0) : sequence(oid('1.2.840.113549.1.9.14'), setOf(sequence(san))));
  const info = sequence(integer(0), encodeName([{ shortName: 'CN', value: commonName }]), spki, attributes);
  const rsa = keyPair.privateKey.asymmetricKeyType === 'rsa';
  const algorithm = rsa ? sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([5, 0])) : sequence(oid('1.2.840.10045.4.3.2'));
  return sequence(info, algorithm, bitString(crypto.sign('sha256', info, keyPair.privateKey)));
}
