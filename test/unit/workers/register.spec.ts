/** How handlers become Zeebe workers: how many jobs of a type each takes at once (issue 17.1). */
import { expect } from 'chai';
import { z } from 'zod';
import type { Zeebe } from '@camunda8/sdk';
import { registerWorkers } from '../../../workers/register';
import { defineHandler } from '../../../workers/runtime';

/** Records the options each worker is created with (a unit-test stand-in for the gRPC client). */
function recordingClient(): { client: Zeebe.ZeebeGrpcClient; created: Array<{ taskType: string; maxJobsToActivate?: number }> } {
  const created: Array<{ taskType: string; maxJobsToActivate?: number }> = [];
  const client = {
    createWorker(options: { taskType: string; maxJobsToActivate?: number }) {
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
});
