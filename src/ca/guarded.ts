/**
 * The CA as the job workers call it (issue 15.5): every call bounded in time, and every technical
 * failure naming the CA, so that the incident an operator finds after the retries says where to
 * look ("the CA 'Workplace PKI' did not answer within 20000 ms"), not just "ECONNREFUSED".
 *
 * Without the bound, a CA that never answers holds its job past the job timeout: the engine hands
 * the job out again (a timeout uses up no retry), the new delivery waits on the first one's
 * locked rows, and no incident ever says so. With it, the call fails, the job's retries count
 * down, and the incident names the CA.
 *
 * Business refusals (`CaError`: bad CSR, DNS name outside the policy, ...) pass unchanged: they
 * are outcomes the models catch, not failures.
 */
import { isCaError } from './errors';
import type { CaConnector } from './connector';
import type { Queryable } from '../store/db';

export interface CaGuardOptions {
  /** How the CA is named in failures, e.g. `config.ca.name`. */
  name: string;
  /** The longest one call may take (CA_CALL_TIMEOUT_MS). */
  timeoutMs: number;
}

/** A technical failure of the CA (not a refusal): the job fails and is retried, then an incident. */
export class CaUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CaUnavailableError';
  }
}

async function bounded<T>(what: string, { name, timeoutMs }: CaGuardOptions, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CaUnavailableError(`the CA '${name}' did not answer ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([call(), late]);
  } catch (err) {
    if (isCaError(err) || err instanceof CaUnavailableError) throw err;
    throw new CaUnavailableError(`the CA '${name}' failed ${what}: ${(err as Error).message ?? String(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/** `ca` with every call bounded by `timeoutMs` and its technical failures naming the CA. */
export function guardCa(ca: CaConnector, options: CaGuardOptions): CaConnector {
  const guarded: CaConnector = {
    reviewCsr: (r) => bounded('the CSR review', options, () => ca.reviewCsr(r)),
    issueFromCsr: (r) => bounded('the issuance', options, () => ca.issueFromCsr(r)),
    generateKeyPair: (r) => bounded('the key generation', options, () => ca.generateKeyPair(r)),
    downloadPkcs12: (id) => bounded('the PKCS#12 download', options, () => ca.downloadPkcs12(id)),
    revoke: (r) => bounded('the revocation', options, () => ca.revoke(r)),
    hold: (r) => bounded('the hold', options, () => ca.hold(r)),
    release: (r) => bounded('the release', options, () => ca.release(r)),
    status: (serial) => bounded('the status query', options, () => ca.status(serial)),
    registerAcme: (r) => bounded('the ACME registration', options, () => ca.registerAcme(r)),
    deregisterAcme: (r) => bounded('the ACME deregistration', options, () => ca.deregisterAcme(r)),
    registerScep: (r) => bounded('the SCEP registration', options, () => ca.registerScep(r)),
    deregisterScep: (r) => bounded('the SCEP deregistration', options, () => ca.deregisterScep(r)),
    currentCrl: () => bounded('the CRL request', options, () => ca.currentCrl()),
    caCertificates: () => bounded('the CA certificates request', options, () => ca.caCertificates()),
    within: (tx: Queryable) => {
      const inner = ca.within(tx);
      return inner === ca ? guarded : guardCa(inner, options);
    },
  };
  return guarded;
}
