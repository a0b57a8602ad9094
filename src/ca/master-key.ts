/**
 * The master key that protects the built-in CA's secrets at rest (CA private keys, pending
 * PKCS#12 files, ACME HMAC keys) and keys the hashes of SCEP challenges.
 *
 * It comes from configuration (`CA_MASTER_KEY`, 32 bytes base64 or hex) or, when unset, from
 * `<dataDir>/ca-master.key`, generated on first start with mode 0600. It is never logged: the
 * object redacts itself in `console.log`, `JSON.stringify` and string conversion.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';

const FORMAT_V1 = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A 32-byte key with authenticated encryption (AES-256-GCM) and keyed hashing. */
export class MasterKey {
  readonly #encryption: Buffer;
  readonly #hashing: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('The CA master key must be exactly 32 bytes');
    // Separate sub-keys per use, so a hash never equals anything encrypted with the same bytes.
    this.#encryption = Buffer.from(crypto.hkdfSync('sha256', key, Buffer.alloc(0), 'wpki ca seal v1', 32));
    this.#hashing = Buffer.from(crypto.hkdfSync('sha256', key, Buffer.alloc(0), 'wpki ca secret hash v1', 32));
  }

  /**
   * Encrypts `plain`. `context` (e.g. "ca_authorities:issuing") is bound as associated data, so a
   * ciphertext copied into another row or column does not decrypt.
   * Format: version (1) | IV (12) | tag (16) | ciphertext.
   */
  seal(plain: Buffer, context: string): Buffer {
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.#encryption, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([FORMAT_V1]), iv, cipher.getAuthTag(), body]);
  }

  /** Decrypts what `seal` made with the same context; throws a plain Error when key or context differ. */
  open(sealed: Buffer, context: string): Buffer {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT_V1) {
      throw new Error(`Encrypted CA data (${context}) has an unknown format`);
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.#encryption, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error(
        `Encrypted CA data (${context}) cannot be decrypted: the CA master key is not the one it was encrypted with. ` +
          'Check CA_MASTER_KEY (or DATA_DIR/ca-master.key).',
      );
    }
  }

  /** A keyed hash (HMAC-SHA256) of a secret that only ever needs to be compared, never read back. */
  hash(secret: string, context: string): Buffer {
    return crypto.createHmac('sha256', this.#hashing).update(context).update('\0').update(secret, 'utf8').digest();
  }

  toString(): string {
    return 'MasterKey([redacted])';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** Reads a configured key: 64 hex characters or base64 of 32 bytes. */
export function parseMasterKey(text: string): MasterKey {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return new MasterKey(Buffer.from(t, 'hex'));
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) {
    const bytes = Buffer.from(t, 'base64');
    if (bytes.length === 32) return new MasterKey(bytes);
  }
  // The value itself is never part of the message.
  throw new Error('CA_MASTER_KEY must be 32 bytes, written as 64 hex characters or as base64');
}

export interface MasterKeySource {
  /** `config.ca.masterKey`, when set. */
  configured?: string;
  /** Folder for `ca-master.key` when no key is configured (`config.dataDir`). */
  dataDir: string;
  /**
   * Whether a key kept in `dataDir` may serve when none is configured (`config.ca.masterKeyFileAllowed`;
   * default true). False in production: a key beside the database files it protects protects
   * nothing from whoever copies that folder.
   */
  fileAllowed?: boolean;
}

/** File name of the generated master key inside the data folder. */
export const MASTER_KEY_FILE = 'ca-master.key';

/**
 * The configured master key, or the one kept in `<dataDir>/ca-master.key` (generated with
 * mode 0600 when missing). Returns where it came from, for a start-up message without the key.
 */
export function resolveMasterKey(source: MasterKeySource): { key: MasterKey; origin: 'configuration' | 'generated' | 'file'; file?: string } {
  if (source.configured !== undefined && source.configured.trim() !== '') {
    return { key: parseMasterKey(source.configured), origin: 'configuration' };
  }
  const file = path.join(source.dataDir, MASTER_KEY_FILE);
  if (source.fileAllowed === false) {
    throw new Error(
      `CA_MASTER_KEY is not set. With NODE_ENV=production the CA does not use a key kept in ${file}, beside the ` +
        'database it protects: set CA_MASTER_KEY from a secret store (32 bytes as 64 hex characters, e.g. `openssl rand -hex 32`). ' +
        'A key generated earlier in that file can be moved there; keys already sealed with it keep working.',
    );
  }
  fs.mkdirSync(source.dataDir, { recursive: true });
  try {
    // 'wx': fails when the file exists, so two starting processes never overwrite each other's key.
    fs.writeFileSync(file, `${crypto.randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
    return { key: parseMasterKey(fs.readFileSync(file, 'utf8')), origin: 'generated', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(`${file} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it`);
  }
  return { key: parseMasterKey(fs.readFileSync(file, 'utf8')), origin: 'file', file };
}
