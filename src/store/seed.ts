/**
 * Demo data for a fresh database: one active profile per protocol (one with a domain policy,
 * one requiring approval), several assets, smart cards and virtual smart cards with related
 * certificates. Runs only on a database without profiles, so it never duplicates.
 */
import crypto from 'node:crypto';
import type { Pool } from 'pg';
import type { CaConnector } from '../ca/connector';
import { buildCsr } from '../ca/csr-builder';
import { certificateRecord, toCaProfile, type SubjectValues } from '../ca/store-profile';
import { withTransaction, type Queryable } from './db';
import { createAsset, transitionAsset } from './assets';
import { createProfile, type CertificateProfile, type NewProfile } from './profiles';
import { createCertificate, transitionCertificate } from './certificates';
import { addCardRelation, createCard, transitionCard, transitionCardRelation } from './cards';

const SEEDER = { actor: 'seed' };
const DAY = 24 * 3600 * 1000;

const PROFILES: NewProfile[] = [
  {
    name: 'Web server TLS (P10)',
    description: 'Server certificates from a CSR; DNS names must be under the corporate domains; enrollment needs approval.',
    protocol: 'P10',
    keyAlgorithm: 'RSA',
    minKeySize: 2048,
    validityDays: 397,
    subjectTemplate: 'CN={commonName},OU={organizationalUnit},O=Example Corp,C=SE',
    extendedKeyUsage: ['serverAuth'],
    allowedDnsSuffixes: ['corp.example.com', 'example.org'],
    enrollmentApprovalRequired: true,
    revocationApprovalRequired: true,
    approverEmails: ['pki-approvers@example.com'],
  },
  {
    name: 'Client authentication (P12)',
    description: 'Key pair generated on the server and delivered as PKCS#12.',
    protocol: 'P12',
    keyAlgorithm: 'RSA',
    minKeySize: 3072,
    validityDays: 730,
    subjectTemplate: 'CN={commonName},O=Example Corp,C=SE',
    extendedKeyUsage: ['clientAuth'],
  },
  {
    name: 'ACME web servers',
    description: 'ACME registration with External Account Binding, limited to the corporate domain.',
    protocol: 'ACME',
    keyAlgorithm: 'EC',
    minKeySize: 256,
    validityDays: 90,
    subjectTemplate: 'CN={commonName}',
    allowedDnsSuffixes: ['corp.example.com'],
  },
  {
    name: 'SCEP network devices',
    description: 'SCEP registration of routers and printers with a one-time challenge.',
    protocol: 'SCEP',
    keyAlgorithm: 'RSA',
    minKeySize: 2048,
    validityDays: 365,
    subjectTemplate: 'CN={commonName},OU=Network,O=Example Corp,C=SE',
    extendedKeyUsage: ['clientAuth', 'serverAuth'],
    // Devices serve TLS, so their names stay under the corporate domain (issue 17.12).
    allowedDnsSuffixes: ['corp.example.com'],
    revocationApprovalRequired: true,
    approverEmails: ['network-security@example.com'],
  },
];

export interface SeedOptions {
  /** When given, demo certificates are really issued (and held) by this CA; else they are records only. */
  ca?: CaConnector;
  log?: (line: string) => void;
}

interface DemoCertificate {
  subject: string;
  dnsNames: string[];
  serial: string;
  pem?: string;
  notBefore: Date;
  notAfter: Date;
}

/** A demo certificate: issued by the CA from a fresh key's CSR (the key is thrown away), or a record only. */
async function demoCertificate(
  ca: CaConnector | undefined,
  profile: CertificateProfile,
  commonName: string,
  dnsNames: string[],
  values: SubjectValues,
): Promise<DemoCertificate> {
  if (!ca) {
    return {
      subject: `CN=${commonName}`,
      dnsNames,
      serial: crypto.randomBytes(16).toString('hex').replace(/^0+/, ''),
      notBefore: new Date(Date.now() - 30 * DAY),
      notAfter: new Date(Date.now() + profile.validityDays * DAY),
    };
  }
  const keyPair =
    profile.keyAlgorithm === 'RSA'
      ? crypto.generateKeyPairSync('rsa', { modulusLength: profile.minKeySize })
      : crypto.generateKeyPairSync('ec', { namedCurve: profile.minKeySize === 384 ? 'secp384r1' : 'prime256v1' });
  const issued = await ca.issueFromCsr({
    idempotencyKey: `seed:${profile.name}:${commonName}`,
    csr: buildCsr({ keyPair, commonName, dnsNames }),
    profile: toCaProfile(profile, values),
  });
  return certificateRecord(issued);
}

async function seedInto(tx: Queryable, options: SeedOptions): Promise<void> {
  // The CA works inside the seeding transaction: a seed that fails leaves no certificate at the CA that the store does not know (issue 17.4).
  const ca = options.ca?.within(tx);
  // One client runs one query at a time: create sequentially.
  const profiles = [];
  for (const p of PROFILES) profiles.push(await createProfile(tx, p, SEEDER));
  const [tls, client] = profiles;

  const web01 = await createAsset(
    tx,
    {
      name: 'web01',
      description: 'Public web server of the intranet portal',
      dnsNames: ['web01.corp.example.com', 'portal.corp.example.com'],
      commonName: 'web01.corp.example.com',
      organization: 'Example Corp',
      organizationalUnit: 'IT Operations',
      country: 'SE',
      ownerEmail: 'it-ops@example.com',
    },
    SEEDER,
  );
  await createAsset(tx, { name: 'intranet', dnsNames: ['intranet.corp.example.com'], commonName: 'intranet.corp.example.com', organization: 'Example Corp', country: 'SE', ownerEmail: 'it-ops@example.com' }, SEEDER);
  await createAsset(tx, { name: 'vpn-gateway', dnsNames: ['vpn.example.org'], commonName: 'vpn.example.org', organization: 'Example Corp', organizationalUnit: 'Network', country: 'SE' }, SEEDER);
  const printer = await createAsset(tx, { name: 'printer-floor3', dnsNames: ['prn3.corp.example.com'], commonName: 'prn3.corp.example.com' }, SEEDER);
  await transitionAsset(tx, printer.id, 'Pending', { ...SEEDER, reason: 'waiting for a certificate profile' });
  const old = await createAsset(tx, { name: 'old-fileserver', dnsNames: ['files.corp.example.com'], commonName: 'files.corp.example.com' }, SEEDER);
  await transitionAsset(tx, old.id, 'Inactive', { ...SEEDER, reason: 'decommissioned' });

  const web01Certificate = await demoCertificate(ca, tls!, 'web01.corp.example.com', ['web01.corp.example.com', 'portal.corp.example.com'], { organizationalUnit: 'IT Operations' });
  await createCertificate(tx, { state: 'Valid', profileId: tls!.id, assetId: web01.id, ...web01Certificate }, SEEDER);

  const holders: Array<[string, string, string, 'active' | 'inactive']> = [
    ['smart-card', 'Alice Andersson', 'alice.andersson@example.com', 'active'],
    ['smart-card', 'Bob Berg', 'bob.berg@example.com', 'active'],
    ['virtual-smart-card', 'Carol Carlsson', 'carol.carlsson@example.com', 'active'],
    ['virtual-smart-card', 'David Dahl', 'david.dahl@example.com', 'inactive'],
  ];
  let n = 0;
  for (const [type, holderName, holderEmail, state] of holders) {
    n++;
    const card = await createCard(tx, { cardTypeId: type, serialNumber: `${type === 'smart-card' ? 'SC' : 'VSC'}-${String(1000 + n)}`, holderName, holderEmail }, SEEDER);
    const user = await addCardRelation(tx, card.id, { relatedType: 'user', relatedId: holderEmail }, SEEDER);
    for (const purpose of ['Authentication', 'Signature']) {
      // A card holder's certificates are client certificates: a person's name is no TLS server name (issue 17.2).
      const profile = client!;
      const issued = await demoCertificate(ca, profile, `${holderName} (${purpose})`, [], {});
      const cert = await createCertificate(tx, { state: 'Valid', profileId: profile.id, cardId: card.id, ...issued }, SEEDER);
      const rel = await addCardRelation(tx, card.id, { relatedType: 'certificate', relatedId: String(cert.id) }, SEEDER);
      if (state === 'inactive') {
        await ca?.hold({ idempotencyKey: `seed:hold:${issued.serial}`, serialNumber: issued.serial });
        await transitionCertificate(tx, cert.id, 'Certificate hold', { ...SEEDER, reason: 'card deactivated' });
        await transitionCardRelation(tx, rel.id, 'inactive', SEEDER);
      }
    }
    if (state === 'inactive') {
      await transitionCardRelation(tx, user.id, 'inactive', SEEDER);
      await transitionCard(tx, card.id, 'inactive', { ...SEEDER, reason: 'card deactivated' });
    }
  }
}

/** Seeds the demo data if the database has no certificate profile yet; returns whether it did. */
export async function seedDemoData(pool: Pool, options: SeedOptions = {}): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    // Serialise concurrent seeders (two starts at once) on the same lock as nothing else uses.
    await tx.query('SELECT pg_advisory_xact_lock(7273302)');
    const { rows } = await tx.query<{ n: number }>('SELECT count(*) AS n FROM certificate_profiles');
    if ((rows[0]?.n ?? 0) > 0) return false;
    options.log?.(`[seed] creating demo data${options.ca ? ' (certificates issued by the CA)' : ''} ...`);
    await seedInto(tx, options);
    return true;
  });
}
