/**
 * The root CA's CRL (issue 17.20), the CRL distribution point of the issuing CA certificate.
 * Made with the root key when the CA is created (src/ca/authorities.ts) and kept in
 * `ca_root_crls`; served as it is, since the root key is not at hand later.
 */
import type { Queryable } from '../store/db';
import type { CurrentCrl } from './connector';
import { toPem } from './x509';

/** Where, under the public base URL, the root's CRL is served. */
export const ROOT_CRL_PATH = '/api/crl/root';

export async function storeRootCrl(q: Queryable, crl: { number: number; thisUpdate: Date; nextUpdate: Date; der: Buffer }): Promise<void> {
  await q.query('INSERT INTO ca_root_crls (crl_number, this_update, next_update, crl_der) VALUES ($1, $2, $3, $4)', [
    crl.number,
    crl.thisUpdate,
    crl.nextUpdate,
    crl.der,
  ]);
}

/** The newest root CRL; undefined for a CA created before there was one. */
export async function latestRootCrl(q: Queryable): Promise<CurrentCrl | undefined> {
  const { rows } = await q.query<{ crl_number: string; this_update: Date; next_update: Date; crl_der: Buffer }>(
    'SELECT crl_number, this_update, next_update, crl_der FROM ca_root_crls ORDER BY crl_number DESC LIMIT 1',
  );
  const row = rows[0];
  if (!row) return undefined;
  return { der: row.crl_der, pem: toPem(row.crl_der, 'X509 CRL'), number: Number(row.crl_number), thisUpdate: row.this_update, nextUpdate: row.next_update };
}
