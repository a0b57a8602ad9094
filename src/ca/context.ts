/** What the parts of the built-in CA share: database, master key, CA keys, settings, clock. */
import type { Queryable } from '../store/db';
import type { Authority, CaCertificate } from './authorities';
import type { MasterKey } from './master-key';
import type { Pkcs12Options } from './pkcs12';
import type { createIssuanceBatchers } from './issuance';

export interface CaContext {
  /**
   * Where the CA keeps its state: the pool, or — in a view made by `BuiltinCa.within` — the
   * caller's transaction, which the CA's statements then join (it takes no connection of its own).
   */
  db: Queryable;
  masterKey: MasterKey;
  /** The root's certificate only: its key is not needed after the issuing CA was created. */
  root: CaCertificate;
  issuing: Authority;
  /** `${publicUrl}/api/crl`, written into every certificate. */
  crlUrl: string;
  /** How long a PKCS#12 waits for its download. */
  secretTtlMs: number;
  /** How long a SCEP challenge stays usable. */
  scepChallengeTtlMs: number;
  /** Validity of a CRL (nextUpdate - thisUpdate). */
  crlValidityMs: number;
  /** Backdating of notBefore, for clients whose clocks run slightly behind. */
  backdateMs: number;
  pkcs12: Pkcs12Options;
  now: () => Date;
  /** Batched statements of the issuance hot path; only on the pool (a transaction serves one caller). */
  batch?: ReturnType<typeof createIssuanceBatchers>;
}
