import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { claimWorkers, WorkersLockedError } from '../../../src/engine/workers-lock';
import { tempDir } from '../../support/temp';

describe('engine: one set of workers per local engine', () => {
  const dir = () => tempDir('wpki-lock-');

  it('when a live process holds the lock, then a second claim is refused naming it', () => {
    const d = dir();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      fs.mkdirSync(path.join(d, 'engine'), { recursive: true });
      fs.writeFileSync(path.join(d, 'engine', 'workers.lock'), JSON.stringify({ pid: other.pid, owner: 'npm start', since: 'now' }));
      expect(() => claimWorkers(d, 'npm test')).to.throw(WorkersLockedError, /npm start \(pid \d+, since now\) already runs job workers/);
    } finally {
      other.kill();
    }
  });

  it('when the holder is gone, then the lock is taken over; release removes it', async () => {
    const d = dir();
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.on('exit', r));
    fs.mkdirSync(path.join(d, 'engine'), { recursive: true });
    fs.writeFileSync(path.join(d, 'engine', 'workers.lock'), JSON.stringify({ pid: gone.pid, owner: 'npm start' }));
    const release = claimWorkers(d, 'npm test');
    expect(JSON.parse(fs.readFileSync(path.join(d, 'engine', 'workers.lock'), 'utf8'))).to.include({ pid: process.pid, owner: 'npm test' });
    release();
    expect(fs.existsSync(path.join(d, 'engine', 'workers.lock'))).to.equal(false);
  });
});
