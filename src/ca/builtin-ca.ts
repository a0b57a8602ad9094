/**
 * The built-in CA, the default behind the CA connector: root and issuing CA created on first
 * start, certificates laid out by node-forge and signed natively, state in PostgreSQL.
 *
 * `createBuiltinCa` is called once, by the composition root; nothing else constructs a CA.
 */
import type { Pool } from 'pg';
import type { Queryable } from '../store/db';
import * as acme from './acme';
import { loadOrCreateAuthorities, type Authority, type AuthorityKeySpec, type CaCertificate } from './authorities';
import * as status from './certificate-status';
import type { CaConnector } from './connector';
import type { CaContext } from './context';
import { currentCrl } from './crl-service';
import { ROOT_CRL_PATH } from './root-crl';
import * as issuance from './issuance';
import type { MasterKey } from './master-key';
import type { Pkcs12Options } from './pkcs12';
import * as scep from './scep';

export interface BuiltinCaOptions {
  pool: Pool;
  /** From `resolveMasterKey({ configured: config.ca.masterKey, dataDir: config.dataDir })`. */
  masterKey: MasterKey;
  /** `config.ca.name`: prefix of the CA names ("<name> Root CA", "<name> Issuing CA"). */
  name: string;
  /** `config.api.publicUrl`: the CRL distribution point is `${publicUrl}/api/crl`. */
  publicUrl: string;
  /** `config.secretLinkTtlMinutes`: how long a PKCS#12 waits for its download. Default 60. */
  secretTtlMinutes?: number;
  /** How long a SCEP challenge stays usable. Default 7 days. */
  scepChallengeTtlHours?: number;
  /** Validity of each CRL. Default 24 hours (a new one is made after half of it, or on any change). */
  crlValidityHours?: number;
  /** Root key for a new CA. Default RSA-4096. */
  rootKey?: AuthorityKeySpec;
  /** Issuing key for a new CA. Default RSA-2048. */
  issuingKey?: AuthorityKeySpec;
  pkcs12?: Pkcs12Options;
  /** Clock; tests move it. Default `() => new Date()`. */
  now?: () => Date;
  /** Start-up messages (never secrets). Default: none. */
  log?: (line: string) => void;
}

/** The built-in CA. Besides the connector, it offers what the CA's own servers need (ACME, SCEP, CRL endpoint). */
export class BuiltinCa implements CaConnector {
  constructor(private readonly ctx: CaContext) {}

  reviewCsr: CaConnector['reviewCsr'] = async (request) => issuance.reviewCsr(request);
  issueFromCsr: CaConnector['issueFromCsr'] = (request) => issuance.issueFromCsr(this.ctx, request);
  generateKeyPair: CaConnector['generateKeyPair'] = (request) => issuance.generateKeyPair(this.ctx, request);
  downloadPkcs12: CaConnector['downloadPkcs12'] = (id) => issuance.downloadPkcs12(this.ctx, id);
  revoke: CaConnector['revoke'] = (request) => status.revoke(this.ctx, request);
  hold: CaConnector['hold'] = (request) => status.hold(this.ctx, request);
  release: CaConnector['release'] = (request) => status.release(this.ctx, request);
  status: CaConnector['status'] = (serial) => status.status(this.ctx, serial);
  registerAcme: CaConnector['registerAcme'] = (request) => acme.registerAcme(this.ctx, request);
  deregisterAcme: CaConnector['deregisterAcme'] = (request) => acme.deregisterAcme(this.ctx, request);
  registerScep: CaConnector['registerScep'] = (request) => scep.registerScep(this.ctx, request);
  deregisterScep: CaConnector['deregisterScep'] = (request) => scep.deregisterScep(this.ctx, request);
  currentCrl: CaConnector['currentCrl'] = () => currentCrl(this.ctx);
  caCertificates: CaConnector['caCertificates'] = async () => ({ issuing: this.ctx.issuing.certificatePem, root: this.ctx.root.certificatePem });

  /**
   * This CA inside the caller's transaction: its statements run on `tx`, so what it records
   * commits or rolls back with the caller's work, and it never asks the pool for a second
   * connection while the caller holds one (issue 17.1). Issuances through it are not batched.
   */
  within(tx: Queryable): BuiltinCa {
    return new BuiltinCa({ ...this.ctx, db: tx, batch: undefined });
  }

  /** For the ACME server: the binding of an EAB key id (with its HMAC key), if registered. */
  lookupAcmeBinding(keyId: string): ReturnType<typeof acme.lookupAcmeBinding> {
    return acme.lookupAcmeBinding(this.ctx, keyId);
  }
  /** For the SCEP server: uses up a challenge password for a common name. */
  consumeScepChallenge(challengePassword: string, commonName: string): ReturnType<typeof scep.consumeScepChallenge> {
    return scep.consumeScepChallenge(this.ctx, challengePassword, commonName);
  }
  /** For the SCEP server: the issuing CA (which answers SCEP and opens its envelopes) and the root. */
  authorities(): { root: CaCertificate; issuing: Authority } {
    return { root: this.ctx.root, issuing: this.ctx.issuing };
  }
  /** Housekeeping: deletes PKCS#12 contents past their expiry. */
  purgeExpiredPkcs12(): Promise<number> {
    return issuance.purgeExpiredPkcs12(this.ctx);
  }
}

/** Loads the built-in CA, creating its root and issuing CA on first start. */
export async function createBuiltinCa(options: BuiltinCaOptions): Promise<BuiltinCa> {
  const now = options.now ?? (() => new Date());
  const { root, issuing, created } = await loadOrCreateAuthorities(options.pool, options.masterKey, {
    name: options.name,
    rootKey: options.rootKey,
    issuingKey: options.issuingKey,
    rootCrlUrl: `${options.publicUrl.replace(/\/$/, '')}${ROOT_CRL_PATH}`,
    now,
  });
  if (created) options.log?.(`[ca] created the built-in CA "${options.name} Root CA" and "${options.name} Issuing CA"`);
  return new BuiltinCa({
    db: options.pool,
    masterKey: options.masterKey,
    root,
    issuing,
    crlUrl: `${options.publicUrl.replace(/\/$/, '')}/api/crl`,
    secretTtlMs: (options.secretTtlMinutes ?? 60) * 60_000,
    scepChallengeTtlMs: (options.scepChallengeTtlHours ?? 24 * 7) * 3_600_000,
    crlValidityMs: (options.crlValidityHours ?? 24) * 3_600_000,
    backdateMs: 5 * 60_000,
    pkcs12: options.pkcs12 ?? {},
    now,
    batch: issuance.createIssuanceBatchers(options.pool),
  });
}
