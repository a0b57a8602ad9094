/**
 * Every job handler of the project, by family. The composition root (src/main.ts) builds the
 * dependencies and registers these; a test checks that the models ask for exactly these types.
 */
import { createApprovalHandlers, type ApprovalDeps } from './approval';
import { createAssetHandlers } from './assets';
import { createCaHandlers } from './ca';
import { createCardHandlers } from './cards';
import { createEnrollHandlers, type EnrollDeps } from './enroll';
import { createExpiryHandlers, type ExpiryDeps } from './expiry';
import type { AnyJobHandler } from './runtime';
import { createUnlockHandlers } from './unlock';

export type WorkerDeps = ApprovalDeps & EnrollDeps & ExpiryDeps;

export function createAllHandlers(deps: WorkerDeps): AnyJobHandler[] {
  return [...createApprovalHandlers(deps), ...createCardHandlers(deps), ...createCaHandlers(deps), ...createEnrollHandlers(deps), ...createExpiryHandlers(deps), ...createAssetHandlers(deps), ...createUnlockHandlers(deps)];
}
