/**
 * Signing with Node's native crypto. node-forge's JavaScript RSA is about 45 times slower, so
 * forge only lays out the bytes to be signed; the signature is always made here.
 */
import crypto from 'node:crypto';
import { nullValue, oid, sequence } from './der';

/** A CA key ready to sign TBS structures (certificates, CRLs). */
export interface Signer {
  /** DER AlgorithmIdentifier of the signature (goes into the TBS and around the signature). */
  readonly algorithmIdentifier: Buffer;
  /** Dotted OID of the signature algorithm. */
  readonly algorithmOid: string;
  /** Signs on the libuv thread pool, so several signatures run on several cores. */
  sign(data: Buffer): Promise<Buffer>;
}

/** Picks the signature algorithm for a private key: RSA → SHA-256 PKCS#1 v1.5; EC → ECDSA with the curve's hash. */
export function createSigner(key: crypto.KeyObject): Signer {
  const type = key.asymmetricKeyType;
  let hash: string;
  let algorithmOid: string;
  let algorithmIdentifier: Buffer;
  if (type === 'rsa') {
    hash = 'sha256';
    algorithmOid = '1.2.840.113549.1.1.11';
    algorithmIdentifier = sequence(oid(algorithmOid), nullValue());
  } else if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    hash = curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : 'sha256';
    algorithmOid = { sha256: '1.2.840.10045.4.3.2', sha384: '1.2.840.10045.4.3.3', sha512: '1.2.840.10045.4.3.4' }[hash]!;
    // RFC 5758: ECDSA AlgorithmIdentifiers have no parameters (not even NULL).
    algorithmIdentifier = sequence(oid(algorithmOid));
  } else {
    throw new Error(`CA keys of type ${String(type)} are not supported (use RSA or EC)`);
  }
  return {
    algorithmIdentifier,
    algorithmOid,
    sign: (data) =>
      new Promise((resolve, reject) =>
        crypto.sign(hash, data, { key, dsaEncoding: 'der' }, (err, sig) => (err ? reject(err) : resolve(sig))),
      ),
  };
}
