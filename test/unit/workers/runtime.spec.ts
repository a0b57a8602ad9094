import { expect } from 'chai';
import { z } from 'zod';
import { BpmnError, defineHandler, runHandler, type JobInfo } from '../../../workers/runtime';
import { StateConflictError } from '../../../src/domain/errors';

const job: JobInfo = {
  key: '2251799813685300',
  type: 'test',
  processInstanceKey: '2251799813685200',
  elementInstanceKey: '2251799813685299',
  bpmnProcessId: 'P',
  retries: 3,
  customHeaders: {},
};

const double = defineHandler({
  type: 'test.double',
  input: z.object({ n: z.number() }),
  output: z.object({ doubled: z.number() }),
  async handle({ n }) {
    if (n < 0) throw new BpmnError('VALIDATION', 'n must not be negative');
    if (n === 13) throw new StateConflictError('certificate', 1, 'Superseded', 'Valid');
    if (n === 99) throw new Error('database unreachable');
    return { doubled: n * 2 };
  },
});

describe('worker runtime: the three outcomes of a job', () => {
  it('when the handler returns, then the job completes with its validated output', async () => {
    expect(await runHandler(double, { n: 4 }, job)).to.deep.equal({ kind: 'complete', variables: { doubled: 8 } });
  });

  it('when the handler throws a BpmnError, then the job ends in a BPMN error with its code and message', async () => {
    const o = await runHandler(double, { n: -1 }, job);
    expect(o).to.deep.include({ kind: 'error', errorCode: 'VALIDATION', errorMessage: 'n must not be negative' });
  });

  it('when the handler throws a typed domain error, then its code becomes the BPMN error code', async () => {
    const o = await runHandler(double, { n: 13 }, job);
    expect(o).to.deep.include({ kind: 'error', errorCode: 'STATE_CONFLICT' });
  });

  it('when the handler fails technically, then the job fails with one retry less and a backoff', async () => {
    expect(await runHandler(double, { n: 99 }, job)).to.deep.equal({
      kind: 'fail',
      retries: 2,
      retryBackOffMs: 4000,
      errorMessage: 'test.double failed: database unreachable',
    });
    const last = await runHandler(double, { n: 99 }, { ...job, retries: 1 });
    expect(last).to.deep.include({ kind: 'fail', retries: 0, retryBackOffMs: 0 });
  });

  it('when the variables do not match the input schema, then the job fails at once with 0 retries naming the field', async () => {
    const o = await runHandler(double, { n: 'four' }, job);
    expect(o.kind).to.equal('fail');
    expect(o).to.deep.include({ retries: 0 });
    expect((o as { errorMessage: string }).errorMessage).to.match(/input mappings: n:/);
  });

  describe('a form field the person filled in wrong (issue 15.7)', () => {
    const fromForm = (formRefusal?: 'CA_REFUSED') =>
      defineHandler({
        type: 'test.after-form',
        formFields: ['csr'],
        ...(formRefusal ? { formRefusal } : {}),
        input: z.object({ requestId: z.number(), csr: z.string().min(1, 'paste the CSR (PEM)') }),
        output: z.object({}),
        async handle() {
          return {};
        },
      });

    it('when the model catches a refusal, then a missing or empty field is that BPMN error naming the field, in the words of the form', async () => {
      expect(await runHandler(fromForm('CA_REFUSED'), { requestId: 1, csr: null }, job)).to.deep.equal({
        kind: 'error',
        errorCode: 'CA_REFUSED',
        errorMessage: 'csr is missing: fill it in',
        variables: { errorMessage: 'csr is missing: fill it in' },
      });
      expect(await runHandler(fromForm('CA_REFUSED'), { requestId: 1, csr: '' }, job)).to.deep.include({ kind: 'error', errorMessage: 'csr: paste the CSR (PEM)' });
    });

    it('when it does not, then an incident that names the field and the fix, not the model', async () => {
      const o = (await runHandler(fromForm(), { requestId: 1, csr: 7 }, job)) as { kind: string; retries: number; errorMessage: string };
      expect(o).to.deep.include({ kind: 'fail', retries: 0 });
      expect(o.errorMessage).to.match(/the form before it was completed with a value it cannot use — csr: .*Nothing was changed\. Fix: set that variable/);
      expect(o.errorMessage).to.not.contain('input mappings');
    });

    it('when a variable the process sets is wrong as well, then it is the model\'s error', async () => {
      const o = (await runHandler(fromForm('CA_REFUSED'), { requestId: 'x', csr: null }, job)) as { kind: string; errorMessage: string };
      expect(o.kind).to.equal('fail');
      expect(o.errorMessage).to.contain('input mappings');
    });
  });
});

describe('worker runtime: listener verdicts', () => {
  const guard = defineHandler({
    type: 'test.guard',
    listener: true,
    input: z.object({ who: z.string() }),
    output: z.union([z.object({ denied: z.literal(false) }), z.object({ denied: z.literal(true), deniedReason: z.string() })]),
    async handle({ who }) {
      return who === 'mallory' ? { denied: true as const, deniedReason: 'not mallory' } : { denied: false as const };
    },
  });

  it('when a listener allows, then the outcome is an allowing verdict, not variables', async () => {
    expect(await runHandler(guard, { who: 'alice' }, job)).to.deep.equal({ kind: 'verdict', verdict: { denied: false } });
  });

  it('when a listener denies, then the verdict carries the reason', async () => {
    expect(await runHandler(guard, { who: 'mallory' }, job)).to.deep.equal({ kind: 'verdict', verdict: { denied: true, deniedReason: 'not mallory' } });
  });
});
