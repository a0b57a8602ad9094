/** The configuration's database, worker and mail settings (issues 17.1, 17.9): defaults and refusals. */
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config';

const base = { DATA_DIR: '/tmp/wpki-config-test' };

describe('config: connections and workers', () => {
  it('when nothing is set, then API and workers have pools of their own, waits are bounded, and a worker takes fewer jobs of a type than its pool has connections', () => {
    const c = loadConfig(base);
    expect(c.database).to.include({ poolSize: 10, workerPoolSize: 10, connectionTimeoutMs: 10_000, statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 30_000 });
    expect(c.workers.maxJobsActive).to.equal(8);
    expect(c.workers.maxJobsActive).to.be.below(c.database.workerPoolSize);
  });

  it('when the settings are given, then they are used', () => {
    const c = loadConfig({
      ...base,
      DATABASE_POOL_SIZE: '4',
      DATABASE_WORKER_POOL_SIZE: '20',
      DATABASE_CONNECTION_TIMEOUT_MS: '2500',
      DATABASE_STATEMENT_TIMEOUT_MS: '0',
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '5000',
      WORKER_MAX_JOBS_ACTIVE: '16',
    });
    expect(c.database).to.include({ poolSize: 4, workerPoolSize: 20, connectionTimeoutMs: 2500, statementTimeoutMs: 0, idleInTransactionTimeoutMs: 5000 });
    expect(c.workers.maxJobsActive).to.equal(16);
  });

  it('when a worker could take as many jobs of one type as its pool has connections, then the start is refused naming both variables', () => {
    expect(() => loadConfig({ ...base, DATABASE_WORKER_POOL_SIZE: '10', WORKER_MAX_JOBS_ACTIVE: '10' }))
      .to.throw(ConfigError, /WORKER_MAX_JOBS_ACTIVE.*DATABASE_WORKER_POOL_SIZE/);
  });

  it('when a timeout is not a number of milliseconds, then the start is refused naming the variable', () => {
    expect(() => loadConfig({ ...base, DATABASE_CONNECTION_TIMEOUT_MS: 'soon' })).to.throw(ConfigError, /DATABASE_CONNECTION_TIMEOUT_MS/);
    expect(() => loadConfig({ ...base, DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '-1' })).to.throw(ConfigError, /DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS/);
  });
});

describe('config: mail', () => {
  it('when nothing is set, then the SMTP timeouts are short enough for a mail job to fail within its 30 s job timeout', () => {
    const { mail } = loadConfig(base);
    expect(mail).to.include({ connectionTimeoutMs: 5000, greetingTimeoutMs: 5000, socketTimeoutMs: 15_000 });
    expect(mail.connectionTimeoutMs + mail.greetingTimeoutMs + mail.socketTimeoutMs).to.be.below(30_000);
  });

  it('when the SMTP timeouts are given, then they are used; nonsense is refused naming the variable', () => {
    expect(loadConfig({ ...base, SMTP_CONNECTION_TIMEOUT_MS: '2000', SMTP_GREETING_TIMEOUT_MS: '1500', SMTP_SOCKET_TIMEOUT_MS: '8000' }).mail)
      .to.include({ connectionTimeoutMs: 2000, greetingTimeoutMs: 1500, socketTimeoutMs: 8000 });
    expect(() => loadConfig({ ...base, SMTP_GREETING_TIMEOUT_MS: 'forever' })).to.throw(ConfigError, /SMTP_GREETING_TIMEOUT_MS/);
  });
});

describe('config: faults (issue 15)', () => {
  it('when nothing is set, then waiting email is retried every 30 s and a CA call is bounded below the 30 s job timeout', () => {
    const c = loadConfig(base);
    expect(c.mail.retryIntervalMs).to.equal(30_000);
    expect(c.workers.caCallTimeoutMs).to.equal(20_000);
  });

  it('when nothing is set, then email that cannot be sent is given up after 72 hours; MAIL_GIVE_UP_AFTER_HOURS sets it and a bad value is refused naming it', () => {
    expect(loadConfig(base).mail.giveUpAfterHours).to.equal(72);
    expect(loadConfig({ ...base, MAIL_GIVE_UP_AFTER_HOURS: '24' }).mail.giveUpAfterHours).to.equal(24);
    expect(() => loadConfig({ ...base, MAIL_GIVE_UP_AFTER_HOURS: '0' })).to.throw(ConfigError, /MAIL_GIVE_UP_AFTER_HOURS/);
  });

  it('when a CA call may outlast the job timeout, then the start is refused naming the variable', () => {
    expect(loadConfig({ ...base, CA_CALL_TIMEOUT_MS: '5000', MAIL_RETRY_INTERVAL_MS: '1000' })).to.deep.include({ workers: { maxJobsActive: 8, caCallTimeoutMs: 5000 } });
    expect(() => loadConfig({ ...base, CA_CALL_TIMEOUT_MS: '30000' })).to.throw(ConfigError, /CA_CALL_TIMEOUT_MS: 30000 must be less than the job timeout/);
    expect(() => loadConfig({ ...base, MAIL_RETRY_INTERVAL_MS: 'often' })).to.throw(ConfigError, /MAIL_RETRY_INTERVAL_MS/);
  });
});

describe('config: proxies in front of the API (issue 17.17)', () => {
  it('when TRUST_PROXY is unset or false, then no proxy is trusted; a hop count or a list of proxies is used as given', () => {
    expect(loadConfig(base).api.trustProxy).to.equal(undefined);
    expect(loadConfig({ ...base, TRUST_PROXY: 'false' }).api.trustProxy).to.equal(undefined);
    expect(loadConfig({ ...base, TRUST_PROXY: '1' }).api.trustProxy).to.equal(1);
    expect(loadConfig({ ...base, TRUST_PROXY: 'loopback, 10.0.0.0/8,::1, fd00::/8' }).api.trustProxy).to.deep.equal(['loopback', '10.0.0.0/8', '::1', 'fd00::/8']);
  });

  it('when TRUST_PROXY is true or not an address, then the start is refused saying why', () => {
    expect(() => loadConfig({ ...base, TRUST_PROXY: 'true' })).to.throw(ConfigError, /TRUST_PROXY=true would let any client name its own address/);
    expect(() => loadConfig({ ...base, TRUST_PROXY: 'proxy.example.com' })).to.throw(ConfigError, /TRUST_PROXY.*'proxy\.example\.com'/);
    expect(() => loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/33' })).to.throw(ConfigError, /TRUST_PROXY/);
  });
});
