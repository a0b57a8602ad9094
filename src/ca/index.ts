/**
 * The CA: the connector interface workers use, its errors and inputs, and the built-in CA.
 */
export type * from './connector';
export { CaError, CaErrorCode, isCaError } from './errors';
export type { CaProfile, ExtendedKeyUsage, SubjectTemplate } from './profile';
export type { RequestEdits } from './request-policy';
export { REVOCATION_REASONS, type RevocationReason, type CertificateStatus } from './revocation';
export { createBuiltinCa, BuiltinCa, type BuiltinCaOptions } from './builtin-ca';
export { MasterKey, parseMasterKey, resolveMasterKey, type MasterKeySource } from './master-key';
