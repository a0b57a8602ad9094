/**
 * The JWS of an ACME request (RFC 8555 6.2, 6.4, 6.5), verified with `jose`: a flattened JWS
 * whose protected header names the algorithm, a fresh nonce, the URL it was sent to, and either
 * the account key itself (`jwk`, for new-account and revocation by certificate key) or the
 * account URL (`kid`).
 */
import { decodeProtectedHeader, EmbeddedJWK, flattenedVerify, importJWK, type FlattenedJWSInput, type JWK } from 'jose';
import { AcmeProblem } from './problems';

/** Signature algorithms of account keys (RFC 8555 6.2: no MAC, no "none"). */
export const ACCOUNT_KEY_ALGORITHMS = ['RS256', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** MAC algorithms of an External Account Binding (RFC 8555 7.3.4). */
export const EAB_ALGORITHMS = ['HS256', 'HS384', 'HS512'];

export interface ProtectedHeader {
  alg: string;
  nonce?: string;
  url?: string;
  jwk?: JWK;
  kid?: string;
}

export interface VerifiedJws {
  header: ProtectedHeader;
  /** The parsed payload; undefined for POST-as-GET (empty payload). */
  payload: unknown;
}

/** Checks that a body is a flattened JWS, without verifying it. */
export function asFlattenedJws(body: unknown, what = 'request body'): FlattenedJWSInput {
  const b = body as Record<string, unknown> | null;
  if (!b || typeof b !== 'object' || typeof b.protected !== 'string' || typeof b.payload !== 'string' || typeof b.signature !== 'string') {
    throw new AcmeProblem('malformed', `The ${what} must be a flattened JWS (protected, payload, signature), sent as application/jose+json.`);
  }
  return { protected: b.protected, payload: b.payload, signature: b.signature };
}

/** The protected header, checked for the parts every ACME request has. */
export function protectedHeaderOf(jws: FlattenedJWSInput): ProtectedHeader {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new AcmeProblem('malformed', 'The JWS protected header is not base64url-encoded JSON.');
  }
  if (typeof header.alg !== 'string' || !ACCOUNT_KEY_ALGORITHMS.includes(header.alg)) {
    throw new AcmeProblem('badSignatureAlgorithm', `The JWS algorithm must be one of ${ACCOUNT_KEY_ALGORITHMS.join(', ')}.`);
  }
  if ((header.jwk === undefined) === (typeof header.kid !== 'string')) {
    throw new AcmeProblem('malformed', 'The JWS protected header must carry exactly one of "jwk" and "kid".');
  }
  return {
    alg: header.alg,
    nonce: typeof header.nonce === 'string' ? header.nonce : undefined,
    url: typeof header.url === 'string' ? header.url : undefined,
    jwk: header.jwk as JWK | undefined,
    kid: typeof header.kid === 'string' ? header.kid : undefined,
  };
}

function parsePayload(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  } catch {
    throw new AcmeProblem('malformed', 'The JWS payload is not JSON.');
  }
}

/** Verifies a JWS signed by the key in its own `jwk` header. */
export async function verifyWithEmbeddedKey(jws: FlattenedJWSInput, header: ProtectedHeader): Promise<VerifiedJws> {
  try {
    const { payload } = await flattenedVerify(jws, EmbeddedJWK, { algorithms: ACCOUNT_KEY_ALGORITHMS });
    return { header, payload: parsePayload(payload) };
  } catch (err) {
    if (err instanceof AcmeProblem) throw err;
    throw new AcmeProblem('malformed', 'The JWS signature does not verify with the key in its header.');
  }
}

/** Verifies a JWS signed by an account's key. */
export async function verifyWithAccountKey(jws: FlattenedJWSInput, header: ProtectedHeader, jwk: JWK): Promise<VerifiedJws> {
  try {
    const key = await importJWK(jwk, header.alg);
    const { payload } = await flattenedVerify(jws, key, { algorithms: ACCOUNT_KEY_ALGORITHMS });
    return { header, payload: parsePayload(payload) };
  } catch (err) {
    if (err instanceof AcmeProblem) throw err;
    throw new AcmeProblem('unauthorized', 'The JWS signature does not verify with the account key.');
  }
}

/**
 * Verifies an External Account Binding (RFC 8555 7.3.4): a JWS MACed with the registration's
 * HMAC key, for the new-account URL, whose payload is the account key. Returns its key id.
 */
export async function verifyExternalAccountBinding(
  eab: unknown,
  expect: { url: string; accountJwk: JWK; hmacKeyOf: (keyId: string) => Promise<Uint8Array | undefined> },
): Promise<string> {
  const jws = asFlattenedJws(eab, 'externalAccountBinding');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new AcmeProblem('malformed', 'The externalAccountBinding protected header is not base64url-encoded JSON.');
  }
  if (typeof header.alg !== 'string' || !EAB_ALGORITHMS.includes(header.alg)) {
    throw new AcmeProblem('malformed', `The externalAccountBinding must be MACed with one of ${EAB_ALGORITHMS.join(', ')}.`);
  }
  if (typeof header.kid !== 'string' || header.nonce !== undefined || header.url !== expect.url) {
    throw new AcmeProblem('malformed', 'The externalAccountBinding needs "kid" and the new-account "url", and no "nonce".');
  }
  const hmacKey = await expect.hmacKeyOf(header.kid);
  if (!hmacKey) throw new AcmeProblem('unauthorized', 'The external account key id is not registered (or its registration was deregistered).');
  let payload: Uint8Array;
  try {
    ({ payload } = await flattenedVerify(jws, hmacKey, { algorithms: EAB_ALGORITHMS }));
  } catch {
    throw new AcmeProblem('unauthorized', 'The externalAccountBinding MAC does not verify with the registered HMAC key.');
  }
  const bound = parsePayload(payload) as JWK | undefined;
  if (!bound || !sameKey(bound, expect.accountJwk)) {
    throw new AcmeProblem('malformed', 'The externalAccountBinding payload must be the account key of this request.');
  }
  return header.kid;
}

/** Whether two JWKs are the same public key (the members RFC 7638 thumbprints use). */
export function sameKey(a: JWK, b: JWK): boolean {
  const members = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;
  return members.every((m) => a[m] === b[m]);
}
