/**
 * Benchmark of the built-in CA (issue 4), run on demand with `npm run bench:ca`; not a test.
 *
 * Prints, from one run on this machine: Node's native limits (RSA-2048 and P-256 signatures
 * and key generations per second), then certificates issued per second from CSRs (in memory,
 * and through the CA with PostgreSQL writes) and PKCS#12 generations per second, each with its
 * ratio to the native limit it depends on.
 *
 * Database: DATABASE_URL when set, else a temporary database on
 * postgres://postgres@127.0.0.1:5432/postgres, dropped at the end.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { Client } from 'pg';
import { loadConfig } from '../src/config';
import { createBuiltinCa } from '../src/ca/builtin-ca';
import { buildCsr } from '../src/ca/csr-builder';
import { buildCertificate, encodeName } from '../src/ca/certificate-builder';
import { parseCsr } from '../src/ca/csr';
import { MasterKey } from '../src/ca/master-key';
import type { CaProfile } from '../src/ca/profile';
import { approveCsr } from '../src/ca/request-policy';
import { createSigner } from '../src/ca/signer';
import { keyIdentifier, randomSerial } from '../src/ca/x509';
import { createPool } from '../src/store/db';
import { migrate } from '../src/store/migrate';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2.5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

/** Runs `op` repeatedly for `seconds`, `concurrency` at a time; returns operations per second. */
async function rate(op: (i: number) => unknown, seconds = SECONDS, concurrency = 1): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let count = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) await op(count++);
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

/** A PKCS#10 CSR built in-process (OpenSSL per CSR would dominate the set-up). */
const makeCsr = (keyPair: crypto.KeyPairKeyObjectResult, cn: string): Buffer => buildCsr({ keyPair, commonName: cn, dnsNames: [cn, `www.${cn}`] });

async function database(): Promise<{ url: string; drop: () => Promise<void> }> {
  const configured = loadConfig().database.url;
  if (configured) return { url: configured, drop: async () => undefined };
  const server = 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `wpki_bench_${Date.now()}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: server });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

const fmt = (n: number): string => n.toFixed(n < 10 ? 1 : 0).padStart(9);
const rows: Array<[string, number, string, number | undefined]> = [];
const row = (what: string, perSecond: number, baseline?: { name: string; value: number }): void => {
  rows.push([what, perSecond, baseline?.name ?? '', baseline ? perSecond / baseline.value : undefined]);
  console.log(`  ${what.padEnd(58)} ${fmt(perSecond)}/s${baseline ? `   ${(perSecond / baseline.value).toFixed(perSecond / baseline.value < 0.1 ? 4 : 2)} x ${baseline.name}` : ''}`);
};

async function main(): Promise<void> {
  console.log(`Built-in CA benchmark — Node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, ${SECONDS}s per measurement\n`);
  console.log('Native limits (Node crypto, one thread unless said):');
  const data = crypto.randomBytes(700); // about the size of a TBSCertificate
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const rsaSign = await rate(() => crypto.sign('sha256', data, rsa.privateKey));
  row('RSA-2048 signatures (SHA-256)', rsaSign);
  const poolSize = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const rsaSignPool = await rate(
    () => new Promise<void>((res, rej) => crypto.sign('sha256', data, rsa.privateKey, (e) => (e ? rej(e) : res()))),
    SECONDS,
    poolSize * 2,
  );
  row(`RSA-2048 signatures, libuv pool (${poolSize} threads, all cores)`, rsaSignPool);
  const ecSign = await rate(() => crypto.sign('sha256', data, ec.privateKey));
  row('P-256 signatures (ECDSA SHA-256)', ecSign);
  const rsaGen = await rate(() => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }));
  row('RSA-2048 key generations', rsaGen);
  const ecGen = await rate(() => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }));
  row('P-256 key generations', ecGen);

  const db = await database();
  const pool = createPool({ connectionString: db.url, max: CONCURRENCY });
  try {
    await migrate(pool);
    const ca = await createBuiltinCa({ pool, masterKey: new MasterKey(crypto.randomBytes(32)), name: 'Bench PKI', publicUrl: 'http://localhost:3000' });
    const profile: CaProfile = { id: 'bench', keyAlgorithm: 'RSA', minKeySize: 2048, validityDays: 365, allowedDnsSuffixes: ['example.com'], extendedKeyUsage: ['serverAuth'] };
    const ecProfile: CaProfile = { ...profile, id: 'bench-ec', keyAlgorithm: 'EC', minKeySize: 256 };

    const keys = Array.from({ length: 8 }, () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }));
    const csrs = Array.from({ length: 4000 }, (_, i) => makeCsr(keys[i % keys.length]!, `host${i}.example.com`));

    console.log('\nIssuance from CSRs (issuing CA: RSA-2048; parse + verify CSR + policy + build + native signature):');
    // In memory: the same path as the CA without the database, to show where the time goes.
    const issuingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const issuingSpki = issuingKey.publicKey.export({ format: 'der', type: 'spki' });
    const issuer = { name: encodeName([{ shortName: 'CN', value: 'Bench Issuing' }]), keyIdentifier: keyIdentifier(issuingSpki), signer: createSigner(issuingKey.privateKey) };
    const inMemory = async (i: number): Promise<void> => {
      const csr = parseCsr(csrs[i % csrs.length]!);
      const approved = approveCsr(csr, profile);
      const now = new Date();
      await buildCertificate(
        { serial: randomSerial(), subject: approved.subject, spki: csr.key.spki, notBefore: now, notAfter: new Date(now.getTime() + 365 * 864e5), keyUsage: { digitalSignature: true, keyEncipherment: true }, extendedKeyUsage: ['serverAuth'], dnsNames: approved.dnsNames, crlUrl: 'http://localhost:3000/api/crl' },
        issuer,
      );
    };
    const base = { name: 'RSA-2048 sign/s (1 thread)', value: rsaSign };
    row('in memory, one at a time', await rate(inMemory), base);
    row(`in memory, ${CONCURRENCY} concurrent`, await rate(inMemory, SECONDS, CONCURRENCY), base);
    let n = 0;
    const issued = await rate(
      (i) => ca.issueFromCsr({ idempotencyKey: `bench-p10-${i}`, csr: csrs[i % csrs.length]!, profile }).then(() => void n++),
      SECONDS,
      CONCURRENCY,
    );
    row(`CA.issueFromCsr with PostgreSQL, ${CONCURRENCY} concurrent`, issued, base);
    row('   same, against the all-cores native signing rate', issued, { name: 'RSA-2048 sign/s (pool)', value: rsaSignPool });

    console.log('\nP12 (native key generation + certificate + PKCS#12 PBES2/AES-256 + encrypted store):');
    row('CA.generateKeyPair, RSA-2048, 4 concurrent', await rate((i) => ca.generateKeyPair({ idempotencyKey: `bench-p12r-${i}`, profile, commonName: `p12-${i}.example.com` }), SECONDS * 2, 4), { name: 'RSA-2048 keygen/s (1 thread)', value: rsaGen });
    row('CA.generateKeyPair, P-256, 4 concurrent', await rate((i) => ca.generateKeyPair({ idempotencyKey: `bench-p12e-${i}`, profile: ecProfile, commonName: `p12e-${i}.example.com` }), SECONDS, 4), { name: 'P-256 keygen/s (1 thread)', value: ecGen });

    const issuedRatio = issued / rsaSign;
    console.log(`\nIssuance reaches ${issuedRatio.toFixed(2)} x the native RSA-2048 signing rate (target >= 0.5): ${issuedRatio >= 0.5 ? 'met' : 'NOT met'}.`);
  } finally {
    await pool.end();
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
