/** Starting and cancelling process instances: what the API does when a use case starts or a request is deleted. */
import type { CamundaRestClient } from '@camunda8/sdk';

export interface ProcessEngine {
  /** Starts the latest version of `processId` with `variables`; resolves with the instance key. */
  start(processId: string, variables: Record<string, unknown>): Promise<{ processInstanceKey: string }>;
  /** Cancels a running instance; resolves quietly when it has already ended. */
  cancel(processInstanceKey: string): Promise<void>;
}

export function createProcessEngine(rest: CamundaRestClient): ProcessEngine {
  return {
    async start(processId, variables) {
      const r = await rest.createProcessInstance({ processDefinitionId: processId, variables: JSON.parse(JSON.stringify(variables)) });
      return { processInstanceKey: String(r.processInstanceKey) };
    },
    async cancel(processInstanceKey) {
      try {
        await rest.cancelProcessInstance({ processInstanceKey });
      } catch (err) {
        // 404: the instance has ended already; nothing left to cancel.
        if (!/404|not found/i.test((err as Error).message)) throw err;
      }
    },
  };
}
