/**
 * The PKCS#10 request (RFC 2986) as the CA reads it, declared with @peculiar/asn1-schema over
 * the types of @peculiar/asn1-x509 and @peculiar/asn1-csr. The library parses; this file only
 * says what to keep. It differs from @peculiar/asn1-csr's `CertificationRequest` in three
 * places, each for a check the CA makes (src/ca/csr.ts), and reads subjectAltName's GeneralNames
 * as tags and bytes (GeneralNamesAsRead):
 *
 * - a subject attribute's value is kept as its tag and content bytes: asn1js decodes an invalid
 *   UTF8String as Latin-1 and reads a UniversalString wrongly, while names must be decoded once,
 *   by their string type, and refused when they are not what the type says (issue 17.15);
 * - the SubjectPublicKeyInfo is kept as its DER too (it goes into the certificate unchanged), and
 *   its key BIT STRING with its unused-bit count;
 * - the signature BIT STRING keeps where it ends in the input, so bytes after the request are refused.
 */
import { AsnArray, AsnPropTypes, AsnTypeTypes, BitString, type IAsnConverter } from '@peculiar/asn1-schema';
import { Attributes } from '@peculiar/asn1-csr';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { asnFields, asnType } from './asn1-declare';

/** What asn1js hands a converter: the parts of a parsed element the CA looks at. */
interface ParsedElement {
  idBlock: { tagClass: number; tagNumber: number; isConstructed: boolean };
  valueBlock: { valueHexView?: Uint8Array; unusedBits?: number };
  valueBeforeDecodeView: Uint8Array;
}

/** An element kept as asn1js read it: its tag and its content bytes (empty when constructed). */
export interface TaggedValue {
  /** 1 universal, 2 application, 3 context-specific, 4 private (asn1js numbering). */
  tagClass: number;
  tagNumber: number;
  constructed: boolean;
  content: Uint8Array;
}

const readOnly = (): never => {
  throw new Error('this schema only reads');
};

/** Keeps any element as its tag and content. */
export const TaggedValueConverter: IAsnConverter<TaggedValue> = {
  fromASN: (value) => {
    const e = value as unknown as ParsedElement;
    return {
      tagClass: e.idBlock.tagClass,
      tagNumber: e.idBlock.tagNumber,
      constructed: e.idBlock.isConstructed,
      content: e.idBlock.isConstructed ? new Uint8Array() : (e.valueBlock.valueHexView ?? new Uint8Array()),
    };
  },
  toASN: readOnly,
};

/** A BIT STRING with its unused-bit count and the offset just past it in the parsed input. */
export interface PositionedBitString {
  unusedBits: number;
  bytes: Uint8Array;
  /** Offset of the first byte after the element, in the buffer asn1js parsed. */
  end: number;
  /** Length of the buffer asn1js parsed (a copy of the input). */
  inputLength: number;
}

const PositionedBitStringConverter: IAsnConverter<PositionedBitString> = {
  fromASN: (value) => {
    const e = value as unknown as ParsedElement;
    const raw = e.valueBeforeDecodeView;
    return {
      unusedBits: e.valueBlock.unusedBits ?? 0,
      bytes: e.valueBlock.valueHexView ?? new Uint8Array(),
      end: raw.byteOffset + raw.byteLength,
      inputLength: raw.buffer.byteLength,
    };
  },
  toASN: readOnly,
};

/** AttributeTypeAndValue with the value as read (RFC 5280 4.1.2.4). */
export class SubjectAttributeValue {
  type = '';
  value: TaggedValue = { tagClass: 0, tagNumber: 0, constructed: false, content: new Uint8Array() };
}
asnFields(SubjectAttributeValue, {
  type: { type: AsnPropTypes.ObjectIdentifier },
  value: { type: AsnPropTypes.Any, converter: TaggedValueConverter },
});

/** Any one element, kept as its tag and content (a CHOICE of ANY: asn1-schema's way to type an array item). */
export class AnyElement {
  element?: TaggedValue;
}
asnFields(AnyElement, { element: { type: AsnPropTypes.Any, converter: TaggedValueConverter } });
asnType(AnyElement, { type: AsnTypeTypes.Choice });

/**
 * GeneralNames (RFC 5280 4.2.1.6), each name kept as its context tag and content: the CA takes
 * dNSName bytes and only names the other types (it never issues them). Reading them as
 * @peculiar/asn1-x509's GeneralName CHOICE cost 4 times as much (34 against 9 µs for three names).
 */
export class GeneralNamesAsRead extends AsnArray<AnyElement> {}
asnType(GeneralNamesAsRead, { type: AsnTypeTypes.Sequence, itemType: AnyElement });

/** RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue */
export class SubjectRdn extends AsnArray<SubjectAttributeValue> {}
asnType(SubjectRdn, { type: AsnTypeTypes.Set, itemType: SubjectAttributeValue });

/** Name ::= RDNSequence */
export class SubjectName extends AsnArray<SubjectRdn> {}
asnType(SubjectName, { type: AsnTypeTypes.Sequence, itemType: SubjectRdn });

/** SubjectPublicKeyInfo (RFC 5280 4.1.2.7) with the key's BIT STRING as written. */
export class PublicKeyInfo {
  algorithm = new AlgorithmIdentifier();
  subjectPublicKey = new BitString();
}
asnFields(PublicKeyInfo, { algorithm: { type: AlgorithmIdentifier }, subjectPublicKey: { type: BitString } });

/** CertificationRequestInfo (RFC 2986 4.1), subject and key kept as read. */
export class RequestInfo {
  version = 0;
  subject = new SubjectName();
  subjectPKInfo = new PublicKeyInfo();
  /** Set by the parser (`raw: true`): the DER of the SubjectPublicKeyInfo. */
  subjectPKInfoRaw?: Uint8Array;
  attributes = new Attributes();
}
asnFields(RequestInfo, {
  version: { type: AsnPropTypes.Integer },
  subject: { type: SubjectName },
  subjectPKInfo: { type: PublicKeyInfo, raw: true },
  attributes: { type: Attributes, implicit: true, context: 0, optional: true },
});

/** CertificationRequest (RFC 2986 4.2). */
export class Request {
  certificationRequestInfo = new RequestInfo();
  /** Set by the parser (`raw: true`): the signed bytes. */
  certificationRequestInfoRaw?: Uint8Array;
  signatureAlgorithm = new AlgorithmIdentifier();
  signature: PositionedBitString = { unusedBits: 0, bytes: new Uint8Array(), end: 0, inputLength: 0 };
}
asnFields(Request, {
  certificationRequestInfo: { type: RequestInfo, raw: true },
  signatureAlgorithm: { type: AlgorithmIdentifier },
  signature: { type: AsnPropTypes.BitString, converter: PositionedBitStringConverter },
});
