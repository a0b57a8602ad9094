/**
 * Issue 17.17 over HTTP, without an engine: failed sign-ins are limited per client address and
 * account, per address and per account; only failed credential checks count; behind a trusted
 * proxy the client's own address counts (X-Forwarded-For), and without one a client cannot pick
 * its address. Clients are told apart by X-Forwarded-For from a trusted loopback proxy.
 */
import { expect } from 'chai';
import type { Caller } from '../../../src/api/identity';
import { SIGN_IN_LIMITS, type SignInLimitOptions } from '../../../src/api/sign-in-limit';
import type { TrustProxy } from '../../../src/config';
import { serveTestApp, type TestApp } from '../../support/test-app';

const caller = (username: string): Caller => ({ username, displayName: username, email: null, roles: [], groups: [], isAdmin: false });
const PASSWORDS: Record<string, string> = { alice: 'alice-pw', bob: 'bob-pw', carol: 'carol-pw' };

function startApp(trustProxy: TrustProxy | undefined, signInLimits: SignInLimitOptions = {}): Promise<TestApp> {
  return serveTestApp({
    identity: { verify: async (u, p) => (Object.hasOwn(PASSWORDS, u) && PASSWORDS[u] === p ? caller(u) : null) },
    trustProxy,
    signInLimits,
  });
}

describe('API: failed sign-in limits (issue 17.17)', () => {
  let app: TestApp;
  afterEach(async () => {
    await app?.close();
  });

  /** Signs in as `user` with `password` from client address `from` (named by the trusted proxy). */
  const signIn = async (user: string, password: string, from?: string) => {
    const res = await fetch(`${app.base}/api/me`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
        ...(from ? { 'x-forwarded-for': from } : {}),
      },
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { detail?: string } };
  };
  const fail = async (times: number, user: string, from: (i: number) => string) => {
    for (let i = 0; i < times; i++) expect((await signIn(user, 'guess', from(i))).status, `failure ${i + 1}`).to.equal(401);
  };

  it('when requests bring no credentials, then none counts: after 100 of them the right password still signs in', async () => {
    app = await startApp(['loopback']);
    for (let i = 0; i < 100; i++) expect((await fetch(`${app.base}/api/me`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).to.equal(401);
    expect((await signIn('alice', 'alice-pw', '203.0.113.9')).status).to.equal(200);
  });

  it('when an attacker behind the proxy guesses alice\'s password, then only the attacker is refused (429, even the right password, with Retry-After); alice at her own address signs in', async () => {
    app = await startApp(['loopback']);
    await fail(SIGN_IN_LIMITS.perAddressAndAccount, 'alice', () => '203.0.113.66');
    const refused = await signIn('alice', 'alice-pw', '203.0.113.66');
    expect(refused.status).to.equal(429);
    expect(refused.body.detail).to.contain('too many failed sign-ins for this user from this address');
    expect(Number(refused.retryAfter)).to.be.within(1, SIGN_IN_LIMITS.windowMs / 1000);
    expect((await signIn('alice', 'alice-pw', '198.51.100.7')).status, 'alice elsewhere').to.equal(200);
    expect((await signIn('bob', 'bob-pw', '203.0.113.66')).status, 'another user from the attacker\'s address').to.equal(200);
  });

  it('when alice mistypes a few times and then signs in, then her mistakes from there are forgiven', async () => {
    app = await startApp(['loopback']);
    await fail(SIGN_IN_LIMITS.perAddressAndAccount - 1, 'alice', () => '198.51.100.7');
    expect((await signIn('alice', 'alice-pw', '198.51.100.7')).status).to.equal(200);
    await fail(SIGN_IN_LIMITS.perAddressAndAccount - 1, 'alice', () => '198.51.100.7');
    expect((await signIn('alice', 'alice-pw', '198.51.100.7')).status).to.equal(200);
  });

  it('when one address sprays guesses over many accounts, then that address is refused for every account; others are not', async () => {
    app = await startApp(['loopback']);
    for (let i = 0; i < SIGN_IN_LIMITS.perAddress; i++) expect((await signIn(`user${i}`, 'guess', '203.0.113.50')).status).to.equal(401);
    const refused = await signIn('carol', 'carol-pw', '203.0.113.50');
    expect(refused.status).to.equal(429);
    expect(refused.body.detail).to.contain('from this address');
    expect((await signIn('carol', 'carol-pw', '198.51.100.8')).status).to.equal(200);
  });

  it('when guesses at bob come from many addresses, then bob is refused from new addresses but signs in from one he used before; the limit ends with its window', async () => {
    let clock = Date.now();
    app = await startApp(['loopback'], { now: () => clock });
    expect((await signIn('bob', 'bob-pw', '198.51.100.20')).status).to.equal(200);
    await fail(SIGN_IN_LIMITS.perAccount, 'Bob', (i) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`);
    const refused = await signIn('bob', 'bob-pw', '198.51.100.21');
    expect(refused.status, 'a new address, account named in another case').to.equal(429);
    expect(refused.body.detail).to.contain('signs in only from addresses it used before');
    expect((await signIn('bob', 'bob-pw', '198.51.100.20')).status, 'his known address').to.equal(200);
    clock += SIGN_IN_LIMITS.windowMs;
    expect((await signIn('bob', 'bob-pw', '198.51.100.21')).status, 'after the window').to.equal(200);
  });

  it('when no proxy is trusted, then X-Forwarded-For is ignored: an attacker cannot escape the limit by naming other addresses', async () => {
    app = await startApp(undefined);
    await fail(SIGN_IN_LIMITS.perAddressAndAccount, 'alice', (i) => `192.0.2.${i + 1}`);
    expect((await signIn('alice', 'alice-pw', '192.0.2.200')).status).to.equal(429);
  });
});
