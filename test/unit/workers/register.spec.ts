/** How handlers become Zeebe workers: how many jobs of a type each takes at once (issue 17.1). */
import { expect } from 'chai';
import { z } from 'zod';
import type { Zeebe } from '@camunda8/sdk';
import { registerWorkers } from '../../../workers/register';
import { defineHandler } from '../../../workers/runtime';

/** Records the options each worker is created with (a unit-test stand-in for the gRPC client). */
type CreatedWorker = { taskType: string; maxJobsToActivate?: number; taskHandler: (job: unknown) => Promise<unknown> };
function recordingClient(): { client: Zeebe.ZeebeGrpcClient; created: CreatedWorker[] } {
  const created: CreatedWorker[] = [];
  const client = {
    createWorker(options: CreatedWorker) {
      created.push(options);
      return { close: async () => undefined };
    },
  } as unknown as Zeebe.ZeebeGrpcClient;
  return { client, created };
}

const handler = defineHandler({ type: 'test.noop', input: z.object({}), output: z.object({}), handle: async () => ({}) });

describe('worker registration', () => {
  it('when no limit is given, then a worker takes the configured default of jobs at once, fewer than the worker pool has connections', () => {
    const { client, created } = recordingClient();
    registerWorkers(client, [handler], async () => undefined, () => undefined);
    expect(created).to.have.length(1);
    expect(created[0]!.maxJobsToActivate).to.equal(8);
  });

  it('when WORKER_MAX_JOBS_ACTIVE is configured, then every worker takes that many jobs at once', () => {
    const { client, created } = recordingClient();
    registerWorkers(client, [handler, { ...handler, type: 'test.other' }], async () => undefined, () => undefined, { maxJobsActive: 3 });
    expect(created.map((c) => [c.taskType, c.maxJobsToActivate])).to.deep.equal([['test.noop', 3], ['test.other', 3]]);
  });

  it('when a job is done, then onJobDone hears its type, outcome and the time from its arrival to the engine\'s acknowledgement', async () => {
    const { client, created } = recordingClient();
    const heard: Array<[string, string, number]> = [];
    registerWorkers(client, [handler], async () => undefined, () => undefined, { onJobDone: (type, outcome, ms) => heard.push([type, outcome, ms]) });
    let acknowledged = false;
    const job = {
      key: '1', type: 'test.noop', processInstanceKey: '2', elementInstanceKey: '3', bpmnProcessId: 'p', retries: 3, customHeaders: {}, variables: {},
      complete: async () => {
        await new Promise((r) => setTimeout(r, 30));
        acknowledged = true;
        return 'JOB_ACTION_ACKNOWLEDGEMENT';
      },
    };
    expect(await created[0]!.taskHandler(job)).to.equal('JOB_ACTION_ACKNOWLEDGEMENT');
    expect(acknowledged).to.equal(true);
    expect(heard).to.have.length(1);
    expect(heard[0]!.slice(0, 2)).to.deep.equal(['test.noop', 'complete']);
    expect(heard[0]![2]).to.be.at.least(25);
  });
});
