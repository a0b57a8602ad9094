/** Jobs as the engine hands them to a worker, for calling handlers without an engine. */
import type { JobInfo } from '../../workers/runtime';

let next = 0;

/** A job of `type` with a key unique in the run (keys are what idempotency is keyed by). */
export function aJob(type: string, over: Partial<JobInfo> = {}): JobInfo {
  next++;
  return {
    key: `2251799813${String(next).padStart(6, '0')}`,
    type,
    processInstanceKey: '2251799813000001',
    elementInstanceKey: `2251799814${String(next).padStart(6, '0')}`,
    bpmnProcessId: 'test',
    retries: 3,
    customHeaders: {},
    ...over,
  };
}
