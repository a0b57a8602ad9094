/**
 * The database connections on a real PostgreSQL: a connection lost while in use fails the work
 * on it, never the process (issue 17.5); waits for a connection, statements and transactions
 * left open are bounded (issue 17.1).
 */
import { expect } from 'chai';
import type { Pool } from 'pg';
import { z } from 'zod';
import { createPool, withTransaction, type Queryable } from '../../../src/store/db';
import { applyOnce } from '../../../src/store/effects';
import { defineHandler, runHandler } from '../../../workers/runtime';
import { aJob } from '../../support/jobs';
import { testDatabase } from '../../support/database';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Awaits `p` and returns what it was rejected with; fails when it resolves. */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection, but it resolved');
}

describe('database connections', () => {
  let watcher: Pool;
  let url: string;
  const pools: Pool[] = [];
  const logged: string[] = [];
  const aPool = (options: Omit<Parameters<typeof createPool>[0], 'connectionString'> = {}): Pool => {
    const p = createPool({ connectionString: url, max: 2, log: (line: string) => logged.push(line), ...options });
    pools.push(p);
    return p;
  };
  const terminate = (pid: number) => watcher.query('SELECT pg_terminate_backend($1)', [pid]);
  const backendPid = async (q: Queryable) => (await q.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

  before(async () => {
    const db = await testDatabase();
    watcher = db.pool;
    url = db.url;
  });

  after(async () => {
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
  });

  describe('a connection lost while in use (issue 17.5)', () => {
    it('when the backend of a connection in a transaction is terminated between statements, then the process survives, the transaction rejects, and the pool serves the next caller', async () => {
      const pool = aPool();
      const err = await rejection(
        withTransaction(pool, async (tx) => {
          await terminate(await backendPid(tx));
          // The server's FATAL arrives while no statement runs on the client: the crash of 17.5.
          await sleep(300);
          await tx.query('SELECT 1');
        }),
      );
      expect(err.message).to.match(/terminat|connection/i);
      expect((await pool.query<{ ok: number }>('SELECT 1 AS ok')).rows[0]!.ok).to.equal(1);
      expect(logged.join('\n')).to.match(/lost while in use/);
    });

    it('when the backend is terminated while a statement runs, then the statement rejects and the process survives', async () => {
      const pool = aPool();
      const err = await rejection(
        withTransaction(pool, async (tx) => {
          const pid = await backendPid(tx);
          const running = tx.query('SELECT pg_sleep(5)').then(() => undefined, (e: Error) => e);
          await sleep(200);
          await terminate(pid);
          const failed = await running;
          if (failed) throw failed;
        }),
      );
      expect(err.message).to.match(/terminat/i);
      expect((await pool.query<{ ok: number }>('SELECT 1 AS ok')).rows[0]!.ok).to.equal(1);
    });

    it('when a job loses its connection mid-effect, then the job fails with retries left and nothing of the effect is recorded', async () => {
      const pool = aPool();
      const key = `lost-${Date.now()}`;
      const handler = defineHandler({
        type: 'test.lost-connection',
        input: z.object({}),
        output: z.object({}),
        async handle() {
          await applyOnce(pool, key, 'test.lost-connection', async (tx) => {
            await terminate(await backendPid(tx));
            await sleep(300);
            await tx.query('SELECT 1');
          });
          return {};
        },
      });
      const outcome = await runHandler(handler, {}, aJob('test.lost-connection', { retries: 3 }));
      expect(outcome).to.include({ kind: 'fail', retries: 2 });
      expect((await watcher.query('SELECT 1 FROM job_effects WHERE effect_key = $1', [key])).rowCount).to.equal(0);
    });
  });

  describe('bounded waits (issue 17.1)', () => {
    it('when every connection is taken, then the next caller fails after the connection timeout instead of waiting for good', async () => {
      const pool = aPool({ max: 1, connectionTimeoutMs: 300 });
      const held = await pool.connect();
      try {
        const started = Date.now();
        const err = await rejection(pool.query('SELECT 1'));
        expect(err.message).to.match(/timeout/i);
        expect(Date.now() - started).to.be.within(250, 3000);
      } finally {
        held.release();
      }
      expect((await pool.query<{ ok: number }>('SELECT 1 AS ok')).rows[0]!.ok).to.equal(1);
    });

    it('when a transaction is left open without a statement, then the server ends it after the idle-in-transaction timeout and the process survives', async () => {
      const pool = aPool({ idleInTransactionTimeoutMs: 300 });
      const err = await rejection(
        withTransaction(pool, async (tx) => {
          await tx.query('SELECT 1');
          await sleep(1000);
          await tx.query('SELECT 1');
        }),
      );
      expect(err.message).to.match(/idle-in-transaction|terminat|connection/i);
      expect((await pool.query<{ ok: number }>('SELECT 1 AS ok')).rows[0]!.ok).to.equal(1);
    });

    it('when a statement runs longer than the statement timeout, then it is cancelled', async () => {
      const pool = aPool({ statementTimeoutMs: 200 });
      const err = await rejection(pool.query('SELECT pg_sleep(3)'));
      expect(err.message).to.match(/statement timeout/i);
    });

    it('when the pool is created with defaults, then every connection carries the bounds', async () => {
      const pool = aPool();
      const { rows } = await pool.query<{ s: string; i: string }>(
        "SELECT current_setting('statement_timeout') AS s, current_setting('idle_in_transaction_session_timeout') AS i",
      );
      expect(rows[0]!.s).to.not.equal('0');
      expect(rows[0]!.i).to.not.equal('0');
    });
  });
});
