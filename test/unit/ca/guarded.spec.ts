/** The CA as the workers call it (issue 15.5): bounded calls, failures that name the CA, refusals unchanged. */
import { expect } from 'chai';
import type { CaConnector } from '../../../src/ca/connector';
import { CaError, CaErrorCode } from '../../../src/ca/errors';
import { guardCa } from '../../../src/ca/guarded';

function fakeCa(behaviour: () => Promise<unknown>): CaConnector {
  const ca = new Proxy({} as CaConnector, {
    get: (_t, prop) => (prop === 'within' ? () => ca : () => behaviour()),
  });
  return ca;
}

describe('CA guard (issue 15.5)', () => {
  const request = { idempotencyKey: 'k', csr: 'x', profile: {} as never };

  it('when the CA throws a technical error, then the error names the CA and the operation', async () => {
    const ca = guardCa(fakeCa(() => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:8443'))), { name: 'Corp CA', timeoutMs: 1000 });
    const err = await ca.within({} as never).issueFromCsr(request).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.equal("the CA 'Corp CA' failed the issuance: connect ECONNREFUSED 10.0.0.7:8443");
  });

  it('when the CA does not answer, then the call fails after the bound, naming the CA', async () => {
    const ca = guardCa(fakeCa(() => new Promise(() => undefined)), { name: 'Corp CA', timeoutMs: 50 });
    const err = await ca.hold({ idempotencyKey: 'k', serialNumber: '01' }).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.equal("the CA 'Corp CA' did not answer the hold within 50 ms");
  });

  it('when the CA refuses (a business outcome), then the refusal passes unchanged', async () => {
    const refusal = new CaError(CaErrorCode.CERTIFICATE_ALREADY_ON_HOLD, 'already on hold');
    const ca = guardCa(fakeCa(() => Promise.reject(refusal)), { name: 'Corp CA', timeoutMs: 1000 });
    expect(await ca.hold({ idempotencyKey: 'k', serialNumber: '01' }).then(() => undefined, (e: unknown) => e)).to.equal(refusal);
  });

  it('when the CA answers in time, then its answer is returned', async () => {
    const ca = guardCa(fakeCa(() => Promise.resolve({ serialNumber: '0a' })), { name: 'Corp CA', timeoutMs: 1000 });
    expect(await ca.status('0a')).to.deep.equal({ serialNumber: '0a' });
  });
});
