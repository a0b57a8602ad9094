import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { MasterKey, parseMasterKey, resolveMasterKey } from '../../../src/ca/master-key';
import { loadConfig } from '../../../src/config';

describe('CA master key', () => {
  const bytes = crypto.randomBytes(32);

  it('when data is sealed, then it opens with the same key and context only', () => {
    const key = new MasterKey(bytes);
    const sealed = key.seal(Buffer.from('private key'), 'ctx-a');
    expect(key.open(sealed, 'ctx-a').toString()).to.equal('private key');
    expect(() => key.open(sealed, 'ctx-b')).to.throw(/not the one it was encrypted with/);
    expect(() => new MasterKey(crypto.randomBytes(32)).open(sealed, 'ctx-a')).to.throw(/CA_MASTER_KEY/);
  });

  it('when the key is configured as hex or base64, then both are read; anything else is refused without echoing it', () => {
    expect(() => parseMasterKey(bytes.toString('hex'))).not.to.throw();
    expect(() => parseMasterKey(bytes.toString('base64'))).not.to.throw();
    try {
      parseMasterKey('too-short-secret');
      expect.fail('accepted');
    } catch (err) {
      expect((err as Error).message).not.to.contain('too-short-secret');
    }
  });

  it('when no key is configured, then one is generated once in the data folder with mode 0600 and reused', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-mk-'));
    try {
      const first = resolveMasterKey({ dataDir: dir });
      expect(first.origin).to.equal('generated');
      expect(fs.statSync(first.file!).mode & 0o777).to.equal(0o600);
      const second = resolveMasterKey({ dataDir: dir });
      expect(second.origin).to.equal('file');
      const sealed = first.key.seal(Buffer.from('x'), 'c');
      expect(second.key.open(sealed, 'c').toString()).to.equal('x');
      fs.chmodSync(first.file!, 0o644);
      expect(() => resolveMasterKey({ dataDir: dir })).to.throw(/chmod 600/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when NODE_ENV=production and no CA_MASTER_KEY is set, then the CA refuses to start and writes no key beside the database, saying what to set (issue 17.19)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wpki-mk-'));
    try {
      const resolve = (env: NodeJS.ProcessEnv) => {
        const config = loadConfig({ DATA_DIR: dir, ...env });
        return resolveMasterKey({ configured: config.ca.masterKey, dataDir: config.dataDir, fileAllowed: config.ca.masterKeyFileAllowed });
      };
      expect(() => resolve({ NODE_ENV: 'production' })).to.throw(/CA_MASTER_KEY is not set.*NODE_ENV=production.*openssl rand -hex 32/s);
      expect(fs.readdirSync(dir)).to.deep.equal([]);
      // A key generated during development is not picked up either.
      fs.writeFileSync(path.join(dir, 'ca-master.key'), `${bytes.toString('hex')}\n`, { mode: 0o600 });
      expect(() => resolve({ NODE_ENV: 'production' })).to.throw(/CA_MASTER_KEY is not set/);
      expect(resolve({ NODE_ENV: 'production', CA_MASTER_KEY: bytes.toString('hex') }).origin).to.equal('configuration');
      expect(resolve({}).origin, 'development keeps its embedded default').to.equal('file');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when the key object is printed or serialized, then it shows no key material', () => {
    const key = new MasterKey(bytes);
    const printed = `${inspect(key)} ${JSON.stringify({ key })} ${String(key)}`;
    expect(printed).not.to.contain(bytes.toString('hex'));
    expect(printed).not.to.contain(bytes.toString('base64'));
    expect(printed).to.contain('redacted');
  });
});
