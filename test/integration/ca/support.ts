/**
 * Shared by the CA integration specs: one built-in CA per run on the test database, a clock
 * tests can move, and OpenSSL to check what the CA makes.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createBuiltinCa, type BuiltinCa } from '../../../src/ca/builtin-ca';
import { CaError } from '../../../src/ca/errors';
import { MasterKey } from '../../../src/ca/master-key';
import type { CaProfile } from '../../../src/ca/profile';
import { testDatabase, type TestDatabase } from '../../support/database';
import { onRunEnd } from '../../support/lifecycle';

const run = promisify(execFile);

/** Moves the CA's clock; reset it in `afterEach` when a test moves it. */
export const clock = { offsetMs: 0, now: (): Date => new Date(Date.now() + clock.offsetMs) };

export const PUBLIC_URL = 'https://pki.example.test';
export const MASTER_KEY_BYTES = crypto.randomBytes(32);

export interface TestCa {
  ca: BuiltinCa;
  db: TestDatabase;
  masterKey: MasterKey;
}

let pending: Promise<TestCa> | undefined;

/** The run's built-in CA (created on first use, on the run's test database). */
export function testCa(): Promise<TestCa> {
  pending ??= (async () => {
    const db = await testDatabase();
    const masterKey = new MasterKey(MASTER_KEY_BYTES);
    const ca = await createBuiltinCa({
      pool: db.pool,
      masterKey,
      name: 'Test PKI',
      publicUrl: PUBLIC_URL,
      secretTtlMinutes: 60,
      now: clock.now,
      rootKey: { algorithm: 'EC', curve: 'P-384' }, // quick to generate; the issuing CA keeps the RSA-2048 default
    });
    return { ca, db, masterKey };
  })();
  return pending;
}

let dir: string | undefined;
/** Writes `content` to a file in the run's temporary folder and returns its path. */
export function tmpFile(name: string, content: string | Buffer): string {
  if (!dir) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-ca-it-'));
    const d = dir;
    onRunEnd(async () => fs.rmSync(d, { recursive: true, force: true }));
  }
  const file = path.join(dir, `${crypto.randomBytes(4).toString('hex')}-${name}`);
  fs.writeFileSync(file, content);
  return file;
}

/** Runs openssl; resolves with stdout+stderr and the exit code (never rejects on a non-zero exit). */
export async function openssl(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('openssl', args, { maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** `openssl verify` of a certificate against the CA's chain (and a CRL when given). */
export async function verifyWithChain(certPem: string, chain: { root: string; issuing: string }, crlPem?: string): Promise<{ code: number; out: string }> {
  const args = ['verify', '-CAfile', tmpFile('root.pem', chain.root), '-untrusted', tmpFile('issuing.pem', chain.issuing)];
  if (crlPem) args.push('-crl_check', '-CRLfile', tmpFile('crl.pem', crlPem));
  args.push(tmpFile('cert.pem', certPem));
  return openssl(args);
}

let seq = 0;
/** A fresh idempotency key (like a Zeebe job key). */
export const jobKey = (): string => `job-${Date.now()}-${++seq}-${crypto.randomBytes(3).toString('hex')}`;

export const webProfile: CaProfile = {
  id: 'web-server',
  keyAlgorithm: 'RSA',
  minKeySize: 2048,
  validityDays: 397,
  allowedDnsSuffixes: ['example.com'],
  subjectTemplate: { organization: 'Example AG', country: 'DE' },
  extendedKeyUsage: ['serverAuth'],
};

export const ecProfile: CaProfile = { ...webProfile, id: 'web-server-ec', keyAlgorithm: 'EC', minKeySize: 256, extendedKeyUsage: ['serverAuth', 'clientAuth'] };

/** Client certificates for people (EC): no TLS server authentication, so no domain policy needed. */
export const clientProfile: CaProfile = { ...webProfile, id: 'client-ec', keyAlgorithm: 'EC', minKeySize: 256, allowedDnsSuffixes: [], extendedKeyUsage: ['clientAuth'] };

/** Awaits `p` and returns the CaError code it was refused with ('none' when it succeeded). */
export async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof CaError)) throw err;
    return err.code;
  }
  return 'none';
}
