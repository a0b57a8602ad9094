/**
 * Who approves a request. A certificate profile's approval settings decide for enrollment and
 * lock (spec 001); the use case's options decide for the others (e.g. deactivate card, spec
 * 004). Addresses in the use case's options are always notified too.
 */
import type { Queryable } from './db';
import { getOptions } from './options';
import { getProfile } from './profiles';
import type { WorkplaceRequest } from './requests';

export async function approversOf(q: Queryable, r: Pick<WorkplaceRequest, 'useCase' | 'profileId'>) {
  const options = await getOptions(q, r.useCase);
  const profile = r.profileId ? await getProfile(q, r.profileId) : undefined;
  return {
    approverGroup: profile?.approverGroup ?? options.approverGroup,
    approverEmails: [...new Set([...(profile?.approverEmails ?? []), ...options.approverEmails])],
  };
}
