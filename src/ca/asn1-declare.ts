/**
 * @peculiar/asn1-schema's decorators, called as functions. Decorator syntax needs TypeScript's
 * `experimentalDecorators`, which tsx applies only when it finds this project's tsconfig.json:
 * started from another directory, the schemas broke at import. Called like this they work
 * whatever compiles them.
 */
import { AsnProp, AsnType } from '@peculiar/asn1-schema';

type PropOptions = Parameters<typeof AsnProp>[0];
type TypeOptions = Parameters<typeof AsnType>[0];

/** Declares the ASN.1 fields of `type`, in encoding order (the order of `fields`). */
export function asnFields<T extends object>(type: new () => T, fields: { [K in keyof T]?: PropOptions }): void {
  for (const [name, options] of Object.entries(fields) as Array<[string, PropOptions]>) AsnProp(options)(type.prototype, name);
}

/** Declares what kind of ASN.1 type `type` is (SEQUENCE OF, SET OF, CHOICE). */
export function asnType(type: new () => object, options: TypeOptions): void {
  AsnType(options)(type);
}
