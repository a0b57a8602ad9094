/**
 * Mocha root hooks. Resources (database, SMTP server, engine) start lazily, once per run, when
 * a suite first asks for them, so `test/unit` starts nothing; everything that started is
 * stopped here when the run ends.
 */
import { runCleanups } from './lifecycle';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await runCleanups();
  },
};
