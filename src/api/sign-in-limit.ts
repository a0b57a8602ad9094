/**
 * Limits on failed sign-ins (issue 17.17), kept in memory per app, in fixed windows.
 *
 * Only a failed credential check counts: a request without credentials (a browser's first) or
 * one still in flight is no failure. Three counts, so that one attacker cannot lock everyone out:
 * - per client address and account: a few guesses at one account from one address, then that
 *   address is refused for that account — the account's owner elsewhere signs in as before;
 * - per client address: password spraying from one address over many accounts;
 * - per account, from all addresses: guessing distributed over many addresses. Then the account
 *   is refused from addresses it has not signed in from during the window; its owner keeps
 *   signing in from where they did.
 * "Address" is `req.ip`: behind a reverse proxy, set TRUST_PROXY (src/config.ts), or every
 * client has the proxy's address and shares its counts.
 */
import type { Request } from 'express';

export const SIGN_IN_LIMITS = Object.freeze({
  windowMs: 15 * 60_000,
  /** Failures for one account from one address. */
  perAddressAndAccount: 10,
  /** Failures from one address, any accounts. */
  perAddress: 50,
  /** Failures for one account, any addresses. */
  perAccount: 100,
});

/** Keys tracked per count; beyond it, new keys of that count are not tracked until the window ends (bounded memory). */
const MAX_KEYS = 100_000;

export interface SignInLimitOptions {
  limits?: Partial<Omit<typeof SIGN_IN_LIMITS, 'windowMs'>> & { windowMs?: number };
  now?: () => number;
}

export type Refusal = { refused: false } | { refused: true; retryAfterSeconds: number; why: string };

export interface SignInLimiter {
  /** Whether a sign-in as `username` from `req`'s address is refused before its credentials are checked. */
  check(req: Request, username: string): Refusal;
  /** A credential check failed. */
  failed(req: Request, username: string): void;
  /** A credential check succeeded: the address is one the account signs in from. */
  succeeded(req: Request, username: string): void;
}

function addressOf(req: Request): string {
  const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  // An IPv6 client controls its whole /64: count the network, as express-rate-limit does.
  if (ip.includes(':') && !ip.startsWith('::ffff:')) return `${ip.split(':').slice(0, 4).join(':')}::/64`;
  return ip;
}

/** Account names compare without case: `Alice` and `alice` share one count. */
const accountOf = (username: string) => username.trim().toLowerCase();

export function createSignInLimiter({ limits: given = {}, now = Date.now }: SignInLimitOptions = {}): SignInLimiter {
  const limits = { ...SIGN_IN_LIMITS, ...given };
  let windowStart = now();
  let byPair = new Map<string, number>();
  let byAddress = new Map<string, number>();
  let byAccount = new Map<string, number>();
  let knownAddresses = new Map<string, Set<string>>();

  const roll = () => {
    if (now() - windowStart < limits.windowMs) return;
    windowStart = now();
    byPair = new Map();
    byAddress = new Map();
    byAccount = new Map();
    knownAddresses = new Map();
  };
  const bump = (m: Map<string, number>, key: string) => {
    if (m.has(key) || m.size < MAX_KEYS) m.set(key, (m.get(key) ?? 0) + 1);
  };
  const retryAfterSeconds = () => Math.max(1, Math.ceil((windowStart + limits.windowMs - now()) / 1000));

  return {
    check(req, username) {
      roll();
      const address = addressOf(req);
      const account = accountOf(username);
      const refuse = (why: string): Refusal => ({ refused: true, retryAfterSeconds: retryAfterSeconds(), why });
      if ((byPair.get(`${address} ${account}`) ?? 0) >= limits.perAddressAndAccount) return refuse('too many failed sign-ins for this user from this address');
      if ((byAddress.get(address) ?? 0) >= limits.perAddress) return refuse('too many failed sign-ins from this address');
      if ((byAccount.get(account) ?? 0) >= limits.perAccount && !knownAddresses.get(account)?.has(address)) {
        return refuse('too many failed sign-ins for this user; it signs in only from addresses it used before');
      }
      return { refused: false };
    },
    failed(req, username) {
      roll();
      const address = addressOf(req);
      const account = accountOf(username);
      bump(byPair, `${address} ${account}`);
      bump(byAddress, address);
      bump(byAccount, account);
    },
    succeeded(req, username) {
      roll();
      const address = addressOf(req);
      const account = accountOf(username);
      // The right password from here: earlier typos from here are forgiven (not the address's or the account's counts).
      byPair.delete(`${address} ${account}`);
      const known = knownAddresses.get(account) ?? new Set<string>();
      if (known.size < 100 && (knownAddresses.has(account) || knownAddresses.size < MAX_KEYS)) {
        known.add(address);
        knownAddresses.set(account, known);
      }
    },
  };
}
