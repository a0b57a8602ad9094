/**
 * node-forge functions that exist at run time but are missing from @types/node-forge, and a
 * typed reading of the nodes its DER parser returns.
 */
import forge from 'node-forge';

const pki = forge.pki as typeof forge.pki & {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
};

/** forge's TBSCertificate layout of a certificate object. */
export const getTBSCertificate = (cert: forge.pki.Certificate): forge.asn1.Asn1 => pki.getTBSCertificate(cert);

interface FromDerOptions {
  strict: boolean;
  parseAllBytes: boolean;
  decodeBitStrings: boolean;
  maxDepth?: number;
}
const fromDer = forge.asn1.fromDer as unknown as (bytes: string | forge.util.ByteStringBuffer, options: FromDerOptions) => forge.asn1.Asn1;

/**
 * forge's DER parser with its options (strict lengths, no trailing bytes, BIT STRINGs left as
 * bytes). Used only on DER the CA wrote or already parsed (its own names, keys, algorithms).
 */
export const strictFromDer = (bytes: string): forge.asn1.Asn1 => fromDer(bytes, { strict: true, parseAllBytes: true, decodeBitStrings: false });

/**
 * Reads one element from the start of `buffer` (which it advances) with forge's DER parser:
 * strict lengths (a value longer than what holds it is refused), BIT and OCTET STRINGs left as
 * bytes (never searched for nested ASN.1), nesting bounded by `maxDepth`. Bytes after the
 * element stay in the buffer for the caller to refuse.
 */
export const readElement = (buffer: forge.util.ByteStringBuffer, maxDepth: number): forge.asn1.Asn1 =>
  fromDer(buffer, { strict: true, parseAllBytes: false, decodeBitStrings: false, maxDepth });

/** A forge node with its parts typed: children when constructed, content bytes (binary string) when not. */
export type Asn1 = forge.asn1.Asn1;
export const { Class, Type } = forge.asn1;

/** The children of a constructed node, or undefined. */
export const childrenOf = (node: Asn1 | undefined): Asn1[] | undefined => (node && node.constructed && Array.isArray(node.value) ? node.value : undefined);

/** The content of a primitive node as bytes, or undefined. forge reads a BMPString's content as UTF-16 code units: they are turned back into its bytes. */
export function contentOf(node: Asn1 | undefined): Buffer | undefined {
  if (!node || node.constructed || typeof node.value !== 'string') return undefined;
  if (node.tagClass === Class.UNIVERSAL && node.type === Type.BMPSTRING) {
    const out = Buffer.alloc(node.value.length * 2);
    for (let i = 0; i < node.value.length; i++) out.writeUInt16BE(node.value.charCodeAt(i), i * 2);
    return out;
  }
  return Buffer.from(node.value, 'binary');
}

/** True when `node` is a universal element of `type`. */
export const isUniversal = (node: Asn1 | undefined, type: number): node is Asn1 => !!node && node.tagClass === Class.UNIVERSAL && node.type === type;

/** The DER forge writes for a node (what a parsed node was, when its input was DER). */
export const toDerBuffer = (node: Asn1): Buffer => Buffer.from(forge.asn1.toDer(node).getBytes(), 'binary');
