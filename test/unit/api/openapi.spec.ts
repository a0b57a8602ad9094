/**
 * The OpenAPI document against the app itself (issue 16.10): every route express registers is
 * described, with the right access, and nothing is described that no route serves; the
 * document is valid JSON Schema throughout and every reference resolves. Real answers are
 * checked against it in test/integration/api/openapi.spec.ts.
 */
import { expect } from 'chai';
import Ajv2020 from 'ajv/dist/2020';
import type { Express } from 'express';
import type { Pool } from 'pg';
import { createApp, type ApiDeps } from '../../../src/api/app';
import { COLLECTIONS } from '../../../src/api/objects';
import { buildOpenApiDocument, OPERATIONS, openApiDocument } from '../../../src/api/openapi';

interface Route {
  method: string;
  /** Express path, e.g. /api/:collection/:id. */
  path: string;
  access: 'public' | 'signed-in' | 'admin';
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/**
 * The routes the app registers, walked from its router: routes on the app itself are public
 * (they come before the sign-in middleware), routes of mounted routers need sign-in, and those
 * under /api/admin the admin role.
 */
function registeredRoutes(app: Express): Route[] {
  const routes: Route[] = [];
  const walk = (stack: Layer[], prefix: string, access: Route['access']) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') routes.push({ method, path: `${prefix}${layer.route.path}`, access });
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        const path = `${prefix}${mount}`;
        walk(layer.handle.stack, path, path.startsWith('/api/admin') ? 'admin' : 'signed-in');
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '', 'public');
  return routes;
}

/**
 * Whether the express path serves the documented path: `:name` matches `{name}`, and
 * `:collection` matches the name of each collection of the API.
 */
function serves(expressPath: string, docPath: string): boolean {
  const e = expressPath.split('/');
  const d = docPath.split('/');
  if (e.length !== d.length) return false;
  return e.every((seg, i) => {
    if (!seg.startsWith(':')) return seg === d[i];
    const name = seg.slice(1);
    return d[i] === `{${name}}` || (name === 'collection' && Object.hasOwn(COLLECTIONS, d[i]!));
  });
}

type Doc = ReturnType<typeof buildOpenApiDocument>;
const documented = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method, path, public: Array.isArray((op as { security?: unknown[] }).security) })),
  );

describe('OpenAPI document against the routes (issue 16.10)', () => {
  const stub = {} as unknown;
  const app = createApp({ pool: stub as Pool, ca: stub, sealer: stub, identity: stub, processes: stub, tasklistUrl: 'http://tasklist.invalid' } as ApiDeps);
  const routes = registeredRoutes(app);

  it('then the walk finds the routes of every router the app mounts', () => {
    // A walk that found nothing would make the next test pass on its own.
    const found = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const r of ['get /api/health', 'get /api/:collection/:id', 'delete /api/requests/:id', 'put /api/admin/options/:useCase', 'post /api/secret-links/:id']) {
      expect(found, r).to.include(r);
    }
  });

  it('when express registers a route, then the document describes it, with the same access', () => {
    const missing: string[] = [];
    for (const r of routes) {
      const ops = documented(openApiDocument).filter((d) => d.method === r.method && serves(r.path, d.path));
      if (ops.length === 0) missing.push(`${r.method.toUpperCase()} ${r.path}: not in the document`);
      for (const op of ops) if (op.public !== (r.access === 'public')) missing.push(`${r.method.toUpperCase()} ${op.path}: ${r.access}, documented ${op.public ? 'public' : 'signed-in'}`);
      if (r.path.includes(':collection')) {
        for (const c of Object.keys(COLLECTIONS)) {
          const concrete = r.path.replace(':collection', c);
          if (!ops.some((o) => serves(concrete, o.path))) missing.push(`${r.method.toUpperCase()} ${concrete}: not in the document`);
        }
      }
    }
    expect(missing, missing.join('\n')).to.deep.equal([]);
  });

  it('when the document describes an operation, then a registered route serves it; admin operations answer 403 to others', () => {
    const unserved = documented(openApiDocument)
      .filter((d) => !routes.some((r) => r.method === d.method && serves(r.path, d.path)))
      .map((d) => `${d.method.toUpperCase()} ${d.path}`);
    expect(unserved).to.deep.equal([]);
    for (const op of OPERATIONS.filter((o) => o.path.startsWith('/api/admin'))) {
      expect((openApiDocument.paths[op.path] as Record<string, { responses: Record<string, unknown> }>)[op.method]!.responses, op.path).to.have.property('403');
    }
  });

  it('when two operations share a path, then both are in the document (GET /api/requests/{id} beside its DELETE); the same one twice is refused', () => {
    expect(Object.keys(openApiDocument.paths['/api/requests/{id}']!)).to.have.members(['get', 'delete']);
    const get = OPERATIONS.find((o) => o.method === 'get' && o.path === '/api/health')!;
    expect(() => buildOpenApiDocument([get, get])).to.throw('GET /api/health is described twice');
  });

  it('then every answer of every operation that answers JSON has a schema, and every schema compiles and every reference resolves', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const doc = JSON.parse(JSON.stringify(openApiDocument)) as Doc;
    ajv.addSchema({ $id: 'openapi.json', components: doc.components });
    const problems: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item) as Array<[string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }>; parameters?: Array<{ schema: unknown }>; requestBody?: { content: Record<string, { schema: unknown }> } }]>) {
        const schemas: unknown[] = [...(op.parameters ?? []).map((p) => p.schema), ...Object.values(op.requestBody?.content ?? {}).map((c) => c.schema)];
        for (const [status, answer] of Object.entries(op.responses)) {
          for (const [type, media] of Object.entries(answer.content ?? {})) {
            if (!media.schema) problems.push(`${method} ${path} ${status} ${type}: no schema`);
            else schemas.push(media.schema);
          }
          if (/^2/.test(status) && status !== '204' && !answer.content) problems.push(`${method} ${path} ${status}: no content`);
        }
        for (const schema of schemas) {
          try {
            ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/')) as object);
          } catch (e) {
            problems.push(`${method} ${path}: ${(e as Error).message}`);
          }
        }
      }
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });
});
