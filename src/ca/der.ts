/**
 * A minimal DER encoder and TLV reader over Buffers.
 *
 * Why not node-forge's asn1 everywhere: forge works on binary strings and allocates a node per
 * element, which is measurable on the issuance hot path; and for structures forge cannot write
 * (CRLs, a PKCS#12 with PBES2 + SHA-256 MAC) composing DER by hand is shorter than bending
 * forge. Only definite-length DER is produced or read.
 */

/** Universal and context tags used by the CA. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Encodes one element: tag, length, content. */
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(Tag.SEQUENCE, Buffer.concat(items));
/** A SET OF; DER wants its elements sorted by their encoding. */
export const setOf = (...items: Buffer[]): Buffer => tlv(Tag.SET, Buffer.concat([...items].sort(Buffer.compare)));
export const octetString = (content: Buffer): Buffer => tlv(Tag.OCTET_STRING, content);
export const nullValue = (): Buffer => Buffer.from([Tag.NULL, 0]);
/** A BIT STRING with no unused bits (signatures, keys). */
export const bitString = (content: Buffer): Buffer => tlv(Tag.BIT_STRING, Buffer.concat([Buffer.from([0]), content]));
/** An explicit context tag [n] around `inner` (constructed). */
export const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);

/** Encodes a non-negative integer given as big-endian bytes, in minimal two's-complement form. */
export function integerFromBytes(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  let content = bytes.subarray(start);
  if (content.length === 0) content = Buffer.from([0]);
  if ((content[0]! & 0x80) !== 0) content = Buffer.concat([Buffer.from([0]), content]);
  return tlv(Tag.INTEGER, content);
}

/** Encodes a small non-negative integer. */
export function integer(value: number): Buffer {
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return integerFromBytes(Buffer.from(bytes.length ? bytes : [0]));
}

/** Encodes a dotted object identifier. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift((n & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(Tag.OID, Buffer.from(out));
}

/** Decodes the content of an OID element to its dotted form. */
export function decodeOid(content: Buffer): string {
  if (content.length === 0) throw new Error('empty OID');
  const arcs: number[] = [];
  const first = content[0]!;
  arcs.push(first < 80 ? Math.floor(first / 40) : 2, first < 80 ? first % 40 : first - 80);
  let value = 0;
  for (let i = 1; i < content.length; i++) {
    value = value * 128 + (content[i]! & 0x7f);
    if ((content[i]! & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/**
 * Time as RFC 5280 wants it: UTCTime until 2049, GeneralizedTime from 2050, always in UTC with
 * seconds and no fraction.
 */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2024-05-01T12:34:56.789Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z'; // 20240501123456Z
  return date.getUTCFullYear() < 2050
    ? tlv(Tag.UTC_TIME, Buffer.from(digits.slice(2), 'ascii'))
    : tlv(Tag.GENERALIZED_TIME, Buffer.from(digits, 'ascii'));
}

/** One element read from DER: its tag, where its content lies, and where it ends. */
export interface Element {
  tag: number;
  /** Offset of the first byte of the element (its tag). */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the element. */
  end: number;
}

/** Reads the element at `offset` of `buf`; throws a plain Error when the bytes are not DER. */
export function readElement(buf: Buffer, offset = 0, limit = buf.length): Element {
  if (offset + 2 > limit) throw new Error('truncated DER element');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('multi-byte DER tags are not supported');
  let pos = offset + 1;
  let length = buf[pos++]!;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new Error('indefinite length is not DER');
    if (count > 4) throw new Error('DER length too large');
    length = 0;
    for (let i = 0; i < count; i++) {
      if (pos >= limit) throw new Error('truncated DER length');
      length = length * 256 + buf[pos++]!;
    }
  }
  const end = pos + length;
  if (end > limit) throw new Error('DER element runs past its container');
  return { tag, start: offset, contentStart: pos, end };
}

/** Reads the children of a constructed element. */
export function children(buf: Buffer, parent: Element): Element[] {
  const out: Element[] = [];
  for (let pos = parent.contentStart; pos < parent.end; ) {
    const child = readElement(buf, pos, parent.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** The bytes of the whole element. */
export const raw = (buf: Buffer, e: Element): Buffer => buf.subarray(e.start, e.end);
/** The content bytes of the element. */
export const content = (buf: Buffer, e: Element): Buffer => buf.subarray(e.contentStart, e.end);

/** Converts between Buffers and node-forge's binary strings. */
export const toBinary = (b: Buffer): string => b.toString('binary');
export const fromBinary = (s: string): Buffer => Buffer.from(s, 'binary');
