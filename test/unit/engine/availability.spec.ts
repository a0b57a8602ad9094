/**
 * The engine watch (issue 16.6) and the SDK's log lines through the application's log (16.12),
 * without an engine: the check is a function whose answer the test changes.
 */
import { expect } from 'chai';
import { EngineUnavailableError, isConnectionError, watchEngine, whenEngineUp } from '../../../src/engine/availability';
import { sdkLogSinks, sdkMessage } from '../../../src/engine/client';

describe('engine watch (issue 16.6)', () => {
  it('goes DOWN with the check\'s message, UP when the engine arrives (deploying once), DOWN and UP again without deploying twice', async () => {
    let answer: Error | undefined = new Error('connect ECONNREFUSED 127.0.0.1:8080');
    let arrivals = 0;
    const lines: string[] = [];
    const watch = watchEngine({
      address: 'http://engine:8080',
      check: async () => {
        if (answer) throw answer;
      },
      onFirstUp: async () => {
        arrivals++;
      },
      log: (l) => lines.push(l),
    });
    expect(watch.status().state).to.equal('STARTING');
    expect((await watch.recheck()).state).to.equal('DOWN');
    expect(watch.status().detail).to.equal('connect ECONNREFUSED 127.0.0.1:8080');
    await watch.recheck();
    expect(lines, 'one line per change, not per check').to.have.length(1);
    answer = undefined;
    expect((await watch.recheck()).state).to.equal('UP');
    answer = new Error('gone');
    expect((await watch.recheck()).state).to.equal('DOWN');
    answer = undefined;
    expect((await watch.recheck()).state).to.equal('UP');
    expect(arrivals).to.equal(1);
    expect(lines).to.deep.equal([
      '[engine] Camunda at http://engine:8080 is not available: connect ECONNREFUSED 127.0.0.1:8080',
      '[engine] Camunda at http://engine:8080 is available',
      '[engine] Camunda at http://engine:8080 is not available: gone',
      '[engine] Camunda at http://engine:8080 is available',
    ]);
  });

  it('stays DOWN while the first deployment fails, and tries it again on the next check', async () => {
    let fail = true;
    let attempts = 0;
    const watch = watchEngine({
      address: 'a',
      check: async () => undefined,
      onFirstUp: async () => {
        attempts++;
        if (fail) throw new Error('deployment refused');
      },
    });
    const s = await watch.recheck();
    expect(s.state).to.equal('DOWN');
    expect(s.detail).to.contain('deployment refused');
    fail = false;
    expect((await watch.recheck()).state).to.equal('UP');
    expect(attempts).to.equal(2);
  });

  it('whenEngineUp refuses at once while DOWN, and turns "nobody answered" into EngineUnavailableError, other errors unchanged', async () => {
    let state: 'UP' | 'DOWN' = 'DOWN';
    const watch = {
      status: () => ({ state, address: 'a', detail: 'd', since: '' }),
      recheck: async () => ({ state, address: 'a', detail: 'rechecked', since: '' }),
    };
    let called = 0;
    const call = async () => {
      called++;
      return 1;
    };
    try {
      await whenEngineUp(watch, call);
      expect.fail('should refuse');
    } catch (err) {
      expect(err).to.be.instanceOf(EngineUnavailableError);
    }
    expect(called).to.equal(0);
    state = 'UP';
    expect(await whenEngineUp(watch, call)).to.equal(1);
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const err = await whenEngineUp(watch, () => Promise.reject(refused)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EngineUnavailableError);
    expect((err as EngineUnavailableError).status.state, 'a call that found nobody is not reported UP').to.equal('DOWN');
    const business = new Error('404 process definition not found');
    expect(await whenEngineUp(watch, () => Promise.reject(business)).catch((e: unknown) => e)).to.equal(business);
    expect(isConnectionError(business)).to.equal(false);
  });
});

describe('the SDK\'s log lines (issue 16.12)', () => {
  it('drops its chatter, writes its errors once a minute per message, without notes to developers', () => {
    const lines: string[] = [];
    let t = 0;
    const { worker, sdk } = sdkLogSinks((l) => lines.push(l), () => t);
    worker.info(JSON.stringify({ message: 'Grpc channel closed' }));
    sdk.info('Using supplied logger');
    worker.error(JSON.stringify({ message: 'connect ECONNREFUSED', taskType: 'ca-issue' }));
    worker.error(JSON.stringify({ message: 'connect ECONNREFUSED', taskType: 'ca-issue' }));
    sdk.error('Request failed. Enhanced stack trace available as error.source.');
    t = 61_000;
    worker.error(JSON.stringify({ message: 'connect ECONNREFUSED', taskType: 'ca-issue' }));
    expect(lines).to.deep.equal(['[zeebe] ca-issue: connect ECONNREFUSED', '[camunda-sdk] Request failed', '[zeebe] ca-issue: connect ECONNREFUSED']);
    expect(sdkMessage(new Error('Response code 500. Enhanced stack trace available as error.source.'))).to.equal('Response code 500');
  });
});
