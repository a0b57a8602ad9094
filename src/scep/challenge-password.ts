/**
 * The challengePassword attribute (PKCS#9, RFC 2985 §5.4.1) of a PKCS#10 request: where a SCEP
 * client puts the one-time challenge. Read with @peculiar/asn1-csr; the CSR itself is checked
 * by src/ca/csr.ts.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { ChallengePassword, id_pkcs9_at_challengePassword } from '@peculiar/asn1-pkcs9';

/** The challenge password of a CSR (DER), or undefined when it has none or it cannot be read. */
export function challengePasswordOf(csrDer: Buffer): string | undefined {
  try {
    const csr = AsnConvert.parse(csrDer, CertificationRequest);
    const attribute = (csr.certificationRequestInfo.attributes ?? []).find((a) => a.type === id_pkcs9_at_challengePassword);
    const value = attribute?.values[0];
    if (!value) return undefined;
    return AsnConvert.parse(value, ChallengePassword).toString();
  } catch {
    return undefined;
  }
}
