/**
 * What a Camunda engine can do, derived from the version it reports — the one place that knows
 * how Camunda versions differ. Everything else asks these capabilities, never the version.
 *
 * 8.6 was measured here (../shared/CAMUNDA-NOTES.md); 8.8+ comes from Camunda's documentation
 * and published API schemas (checked in test/unit/engine/api-shapes.spec.ts).
 */

export type EngineGeneration = '8.6' | '8.8+';

export interface EngineCapabilities {
  version: string;
  generation: EngineGeneration;
  /**
   * User task listeners run (8.8+). On 8.6 a model with listeners deploys but no listener job is
   * ever created, so no rule of the product rests on them.
   */
  taskListeners: boolean;
  /** Users, groups and authorizations in the engine itself (8.8+). 8.6 without Identity has none. */
  groups: boolean;
  /**
   * How the engine's REST API v2 is reached: `none` (8.6 broker: no authentication at all) or
   * `basic`/`oauth` as configured (8.8+).
   */
  restNeedsCredentials: boolean;
  /**
   * Where process instances, variables and incidents are searched: REST v2 (8.8+) or Operate's
   * public API v1 behind a session login (8.6: REST v2 has only the user task search).
   */
  instanceSearch: 'rest-v2' | 'operate-v1';
  /** How a user's credentials are checked: REST v2 `/v2/authentication/me` or the web apps' login. */
  signIn: 'rest-v2-me' | 'webapp-login';
  /** Where the demo users live: REST v2 `/v2/users` or documents in the web apps' user indices. */
  users: 'rest-v2' | 'webapp-index';
  /** Name of a user task's key in REST v2 search results (renamed in 8.8). */
  userTaskKeyField: 'key' | 'userTaskKey';
  /**
   * How a REST v2 search asks for the next page: `search-after` (8.6: `page.searchAfter` = the
   * previous answer's `page.lastSortValues`) or `cursor` (8.8+: `page.after` = `page.endCursor`).
   */
  searchPaging: 'search-after' | 'cursor';
  /** Features this engine lacks, in words, for the start-up line. */
  lacks: string[];
}

/** Parses `8.6.0`, `8.9.21`, `8.10.0-alpha1` into [major, minor]; throws on anything else. */
export function parseVersion(version: string): [number, number] {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?(?:[-.].*)?$/.exec(version.trim());
  if (!m) throw new Error(`"${version}" is not a Camunda version (expected e.g. 8.6.0 or 8.9.21)`);
  return [Number(m[1]), Number(m[2])];
}

/** The capabilities of an engine that reports `version` (from GET /v2/topology `gatewayVersion`). */
export function capabilitiesOf(version: string): EngineCapabilities {
  const [major, minor] = parseVersion(version);
  if (major !== 8 || minor < 6) {
    throw new Error(`Camunda ${version} is not supported: Workplace PKI needs Camunda 8.6 or newer (8.8+ for every feature)`);
  }
  if (minor === 7) {
    // 8.7 was never measured and its REST v2 differs from both neighbours; refuse rather than guess.
    throw new Error(`Camunda ${version} is not supported: use 8.6 (tested here) or 8.8+`);
  }
  if (minor === 6) {
    return {
      version,
      generation: '8.6',
      taskListeners: false,
      groups: false,
      restNeedsCredentials: false,
      instanceSearch: 'operate-v1',
      signIn: 'webapp-login',
      users: 'webapp-index',
      userTaskKeyField: 'key',
      searchPaging: 'search-after',
      lacks: [
        'user task listeners (the approval rules are enforced by the "Check decision" task instead)',
        'groups and authorizations (approvers come from the store; every Tasklist user sees every task)',
        'REST v2 searches for process instances and variables (read through Operate)',
      ],
    };
  }
  return {
    version,
    generation: '8.8+',
    taskListeners: true,
    groups: true,
    restNeedsCredentials: true,
    instanceSearch: 'rest-v2',
    signIn: 'rest-v2-me',
    users: 'rest-v2',
    userTaskKeyField: 'userTaskKey',
    searchPaging: 'cursor',
    lacks: [],
  };
}

/** One line for the start-up output: which engine, which version, what it lacks. */
export function describeEngine(caps: EngineCapabilities, where: string): string {
  const head = `Camunda ${caps.version} at ${where}`;
  return caps.lacks.length === 0 ? `${head} (all features)` : `${head}; lacks: ${caps.lacks.join('; ')}`;
}
