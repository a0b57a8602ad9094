/**
 * Where the CPU of one P10 issuance goes, phase by phase (issue 12; `npm run bench:ca-profile`).
 * Not a test. It measures CPU time of this process (process.cpuUsage), not wall time, so it
 * gives the same figures on a shared machine; each phase runs on its own over the same CSRs.
 * With a database (DATABASE_URL, else a temporary one on 127.0.0.1:5432) it also measures
 * CA.issueFromCsr with PostgreSQL: this process's CPU and the PostgreSQL backends' CPU
 * (from /proc) per certificate, and commits and rows written per certificate.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Client } from 'pg';
import { createBuiltinCa } from '../src/ca/builtin-ca';
import { buildCsr } from '../src/ca/csr-builder';
import { buildCertificate, buildTbsCertificate, encodeName } from '../src/ca/certificate-builder';
import { csrToDer, parseCsr, parseCsrOffThread } from '../src/ca/csr';
import { fingerprint } from '../src/ca/idempotency';
import { MasterKey } from '../src/ca/master-key';
import type { CaProfile } from '../src/ca/profile';
import { approveCsr } from '../src/ca/request-policy';
import { createSigner } from '../src/ca/signer';
import { keyIdentifier, randomSerial, toPem } from '../src/ca/x509';
import { createPool } from '../src/store/db';
import { migrate } from '../src/store/migrate';

const N = Number(process.env.PROFILE_N ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

/** CPU µs (user + system) of this process per call of `op`, over N calls. */
function cpuPerOp(op: (i: number) => unknown): number {
  for (let i = 0; i < 200; i++) op(i); // warm-up
  const before = process.cpuUsage();
  for (let i = 0; i < N; i++) op(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / N;
}

/** CPU ticks (1/100 s, user + system) of /proc/<stat>'s process or thread. */
function ticks(stat: string): number {
  const text = fs.readFileSync(stat, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
/** The main (JavaScript) thread's CPU ticks: its thread id is the process id. */
const mainThreadTicks = (): number => ticks(`/proc/self/task/${process.pid}/stat`);

/** CPU µs per call of an async `op`, `concurrency` at a time: the whole process, and the JavaScript thread alone. */
async function cpuPerAsyncOp(op: (i: number) => Promise<unknown>, n: number, concurrency: number): Promise<{ process: number; main: number }> {
  let next = 0;
  const before = process.cpuUsage();
  const mainBefore = mainThreadTicks();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await op(next++);
  }));
  const used = process.cpuUsage(before);
  return { process: (used.user + used.system) / n, main: ((mainThreadTicks() - mainBefore) * 10_000) / n };
}

/** CPU ticks (1/100 s) of the PostgreSQL backends serving database `db` (their command line names it). */
function postgresTicks(db: string): number {
  let total = 0;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.startsWith('postgres') && cmd.includes(` ${db} `)) total += ticks(`/proc/${pid}/stat`);
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

const line = (what: string, us: number): void => console.log(`  ${what.padEnd(52)} ${us.toFixed(1).padStart(8)} µs`);

async function main(): Promise<void> {
  const keys = Array.from({ length: 8 }, () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }));
  const csrs = Array.from({ length: 1000 }, (_, i) => buildCsr({ keyPair: keys[i % keys.length]!, commonName: `host${i}.example.com`, dnsNames: [`host${i}.example.com`, `www.host${i}.example.com`] }));
  const profile: CaProfile = { id: 'bench', keyAlgorithm: 'RSA', minKeySize: 2048, validityDays: 365, allowedDnsSuffixes: ['example.com'], extendedKeyUsage: ['serverAuth'] };
  const issuingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const issuer = {
    name: encodeName([{ shortName: 'CN', value: 'Bench Issuing' }]),
    keyIdentifier: keyIdentifier(issuingKey.publicKey.export({ format: 'der', type: 'spki' })),
    signer: createSigner(issuingKey.privateKey),
  };
  const csr = (i: number): Buffer => csrs[i % csrs.length]!;
  const parsed = csrs.map((c) => parseCsr(c));
  const approved = parsed.map((p) => approveCsr(p, profile));
  const now = new Date();
  const spec = (i: number) => ({
    serial: randomSerial(), subject: approved[i % csrs.length]!.subject, spki: parsed[i % csrs.length]!.key.spki, notBefore: now,
    notAfter: new Date(now.getTime() + 365 * 864e5), keyUsage: { digitalSignature: true, keyEncipherment: true }, extendedKeyUsage: ['serverAuth' as const],
    dnsNames: approved[i % csrs.length]!.dnsNames, crlUrl: 'http://localhost:3000/api/crl',
  });
  const tbs = buildTbsCertificate(spec(0), issuer);

  console.log(`CPU per operation, one at a time, ${N} operations each (this process, user + system):`);
  line('csrToDer + SHA-256 + request fingerprint', cpuPerOp((i) => fingerprint({ op: 'p10', csr: crypto.createHash('sha256').update(csrToDer(csr(i))).digest('hex'), profile })));
  line('parseCsr (structure + key import + verify)', cpuPerOp((i) => parseCsr(csr(i))));
  const tbsSignature = crypto.sign('sha256', tbs, keys[0]!.privateKey);
  line('  of which: RSA-2048 verify (native)', cpuPerOp(() => crypto.verify('sha256', tbs, keys[0]!.publicKey, tbsSignature)));
  line('approveCsr (policy)', cpuPerOp((i) => approveCsr(parsed[i % csrs.length]!, profile)));
  line('TBSCertificate build + DER', cpuPerOp((i) => buildTbsCertificate(spec(i), issuer)));
  line('RSA-2048 signature (native, sync)', cpuPerOp(() => crypto.sign('sha256', tbs, issuingKey.privateKey)));
  const sig = crypto.sign('sha256', tbs, issuingKey.privateKey);
  line('PEM of a certificate', cpuPerOp(() => toPem(Buffer.concat([tbs, sig]), 'CERTIFICATE')));
  console.log('\nWhole in-memory path (parse → policy → build → async sign → PEM), async:');
  const inMemory = async (i: number): Promise<void> => {
    const p = await parseCsrOffThread(csr(i));
    const a = approveCsr(p, profile);
    await buildCertificate({ ...spec(i), subject: a.subject, spki: p.key.spki, dnsNames: a.dnsNames }, issuer);
  };
  const both = (what: string, cpu: { process: number; main: number }): void => {
    line(`${what}: whole process`, cpu.process);
    line(`${what}: JavaScript thread`, cpu.main);
  };
  both('one at a time', await cpuPerAsyncOp(inMemory, N, 1));
  both(`${CONCURRENCY} concurrent`, await cpuPerAsyncOp(inMemory, N, CONCURRENCY));

  const server = 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `wpki_profile_${Date.now()}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const pool = createPool({ connectionString: url.toString(), max: CONCURRENCY });
  try {
    await migrate(pool);
    const ca = await createBuiltinCa({ pool, masterKey: new MasterKey(crypto.randomBytes(32)), name: 'Profile PKI', publicUrl: 'http://localhost:3000' });
    await cpuPerAsyncOp((i) => ca.issueFromCsr({ idempotencyKey: `warm-${i}`, csr: csr(i), profile }), 200, CONCURRENCY);
    const statsBefore = await admin.query<{ xact: string; tup: string }>('SELECT xact_commit::text AS xact, (tup_inserted + tup_updated)::text AS tup FROM pg_stat_database WHERE datname = $1', [name]);
    const pgBefore = postgresTicks(name);
    const n = N;
    const cpu = await cpuPerAsyncOp((i) => ca.issueFromCsr({ idempotencyKey: `p-${i}`, csr: csr(i), profile }), n, CONCURRENCY);
    const pgUs = ((postgresTicks(name) - pgBefore) * 10_000) / n;
    // Let the statistics collector catch up.
    await new Promise((r) => setTimeout(r, 1000));
    const statsAfter = await admin.query<{ xact: string; tup: string }>('SELECT xact_commit::text AS xact, (tup_inserted + tup_updated)::text AS tup FROM pg_stat_database WHERE datname = $1', [name]);
    console.log(`\nCA.issueFromCsr with PostgreSQL, ${CONCURRENCY} concurrent, ${n} certificates:`);
    both('this process', cpu);
    line('PostgreSQL backends of this database', pgUs);
    console.log(`  commits per certificate ${((Number(statsAfter.rows[0]!.xact) - Number(statsBefore.rows[0]!.xact)) / n).toFixed(3)}, rows written per certificate ${((Number(statsAfter.rows[0]!.tup) - Number(statsBefore.rows[0]!.tup)) / n).toFixed(3)}`);
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
