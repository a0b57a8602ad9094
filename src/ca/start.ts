/** Opens the built-in CA from configuration: the master key (configured or kept in DATA_DIR), then the CA itself. */
import type { Pool } from 'pg';
import type { Config } from '../config';
import { createBuiltinCa, type BuiltinCa } from './builtin-ca';
import { resolveMasterKey, type MasterKey } from './master-key';

/** The CA and its master key (which also seals the one-time secret links). */
export interface StartedCa {
  ca: BuiltinCa;
  masterKey: MasterKey;
}

export async function startBuiltinCa(config: Config, pool: Pool, log: (line: string) => void = console.log): Promise<StartedCa> {
  const masterKey = resolveMasterKey({ configured: config.ca.masterKey, dataDir: config.dataDir, fileAllowed: config.ca.masterKeyFileAllowed });
  if (masterKey.origin === 'generated') log(`[ca] generated a master key in ${masterKey.file} (set CA_MASTER_KEY in production)`);
  const ca = await createBuiltinCa({
    pool,
    masterKey: masterKey.key,
    name: config.ca.name,
    publicUrl: config.api.publicUrl,
    secretTtlMinutes: config.secretLinkTtlMinutes,
    log,
  });
  return { ca, masterKey: masterKey.key };
}
