/**
 * node-forge functions that exist at run time but are missing from @types/node-forge.
 */
import forge from 'node-forge';

const pki = forge.pki as typeof forge.pki & {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
};

/** forge's TBSCertificate layout of a certificate object. */
export const getTBSCertificate = (cert: forge.pki.Certificate): forge.asn1.Asn1 => pki.getTBSCertificate(cert);

/**
 * forge's DER parser with its options (strict lengths, no trailing bytes, BIT STRINGs left as
 * bytes). Used only on DER the CA wrote or already parsed (its own names, keys, algorithms).
 */
export const strictFromDer = (bytes: string): forge.asn1.Asn1 =>
  (forge.asn1.fromDer as unknown as (b: string, o: object) => forge.asn1.Asn1)(bytes, {
    strict: true,
    parseAllBytes: true,
    decodeBitStrings: false,
  });
