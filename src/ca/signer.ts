/**
 * Signing with Node's native crypto: the libraries lay out the bytes to be signed (TBS
 * structures), the signature is always made here.
 */
import crypto from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';

/** A CA key ready to sign TBS structures (certificates, CRLs). */
export interface Signer {
  /** AlgorithmIdentifier of the signature (goes into the TBS and around the signature). */
  readonly algorithm: AlgorithmIdentifier;
  /** The same, DER. */
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
  let algorithm: AlgorithmIdentifier;
  if (type === 'rsa') {
    hash = 'sha256';
    algorithm = new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: null });
  } else if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    hash = curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : 'sha256';
    // RFC 5758: ECDSA AlgorithmIdentifiers have no parameters (not even NULL).
    algorithm = new AlgorithmIdentifier({ algorithm: { sha256: '1.2.840.10045.4.3.2', sha384: '1.2.840.10045.4.3.3', sha512: '1.2.840.10045.4.3.4' }[hash]! });
  } else {
    throw new Error(`CA keys of type ${String(type)} are not supported (use RSA or EC)`);
  }
  return {
    algorithm,
    algorithmIdentifier: Buffer.from(AsnConvert.serialize(algorithm)),
    algorithmOid: algorithm.algorithm,
    sign: (data) =>
      new Promise((resolve, reject) =>
        crypto.sign(hash, data, { key, dsaEncoding: 'der' }, (err, sig) => (err ? reject(err) : resolve(sig))),
      ),
  };
}
