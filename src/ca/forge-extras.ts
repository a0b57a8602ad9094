/**
 * node-forge functions that exist at run time but are missing from @types/node-forge.
 */
import forge from 'node-forge';

interface ForgeAttribute {
  type: string;
  shortName?: string;
  /** The value as forge leaves it: raw bytes as a binary string, except BMPString, which it decodes. */
  value: unknown;
  /** The value's ASN.1 universal tag (UTF8String 12, PrintableString 19, BMPString 30, ...). */
  valueTagClass: number;
}

const pki = forge.pki as typeof forge.pki & {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
  RDNAttributesAsArray(rdn: forge.asn1.Asn1): ForgeAttribute[];
};

/** forge's TBSCertificate layout of a certificate object. */
export const getTBSCertificate = (cert: forge.pki.Certificate): forge.asn1.Asn1 => pki.getTBSCertificate(cert);

/** forge's reading of a Name (RDNSequence) into attributes with names. */
export const rdnAttributes = (rdn: forge.asn1.Asn1): ForgeAttribute[] => pki.RDNAttributesAsArray(rdn);

/** forge's DER parser with its options (strict lengths, no trailing bytes). */
export const strictFromDer = (bytes: string): forge.asn1.Asn1 =>
  (forge.asn1.fromDer as unknown as (b: string, o: object) => forge.asn1.Asn1)(bytes, {
    strict: true,
    parseAllBytes: true,
    decodeBitStrings: false,
  });
