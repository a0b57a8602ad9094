/** Small builders for store tests: each call makes distinct, valid objects. */
import type { Queryable } from '../../../src/store/db';
import { createAsset } from '../../../src/store/assets';
import { createProfile } from '../../../src/store/profiles';
import { createCertificate } from '../../../src/store/certificates';
import { createCard } from '../../../src/store/cards';

let n = 0;
const unique = () => `${Date.now().toString(36)}-${++n}`;
export const actor = { actor: 'test-suite' };

export async function anAsset(q: Queryable, name = `asset-${unique()}`) {
  return createAsset(q, { name, dnsNames: [`${name}.corp.example.com`] }, actor);
}

export async function aProfile(q: Queryable, over: Partial<Parameters<typeof createProfile>[1]> = {}) {
  return createProfile(
    q,
    {
      name: `profile-${unique()}`,
      protocol: 'P10',
      keyAlgorithm: 'RSA',
      minKeySize: 2048,
      validityDays: 365,
      subjectTemplate: 'CN={commonName},O=Example',
      // The default usage is serverAuth, which needs a domain policy (issue 17.12).
      allowedDnsSuffixes: ['example.com'],
      ...over,
    },
    actor,
  );
}

export async function aValidCertificate(q: Queryable, over: { cardId?: number; assetId?: number } = {}) {
  const profile = await aProfile(q);
  return createCertificate(q, { state: 'Valid', profileId: profile.id, subject: `CN=cert-${unique()}`, ...over }, actor);
}

export async function aCard(q: Queryable, cardTypeId = 'smart-card') {
  return createCard(q, { cardTypeId, serialNumber: `SN-${unique()}`, holderName: 'Alice Example', holderEmail: 'alice@example.com' }, actor);
}
