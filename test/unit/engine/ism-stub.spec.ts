/**
 * camunda-local/8.6/ism-stub.js between Camunda 8.6 and the embedded OpenSearch (run as its own
 * process by the local engine): ISM calls answered, writes of whole-second times given a
 * fraction (Tasklist 8.6.0 wrote "…T14:21:16Z", its index refused it and the importer stalled
 * for good: camunda/camunda#27237), everything else forwarded byte for byte. Against a recording
 * HTTP server standing in for OpenSearch; the engine suite writes through the real one.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';

interface Stub {
  createStub(target: URL): http.Server;
}
const { createStub } = require(path.join(__dirname, '..', '..', '..', 'camunda-local', '8.6', 'ism-stub.js')) as Stub;

interface Seen {
  method: string;
  url: string;
  body: string;
  length: string | undefined;
}

describe('the local 8.6 engine\'s OpenSearch stub (ism-stub.js)', () => {
  const seen: Seen[] = [];
  let upstream: http.Server;
  let stub: http.Server;
  let base: string;

  before(async () => {
    upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString('utf8'), length: req.headers['content-length'] });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"errors":false}');
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    stub = createStub(new URL(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`));
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => stub.close(r));
    await new Promise((r) => upstream.close(r));
  });
  beforeEach(() => seen.splice(0));

  it('when Tasklist bulk-writes a task created on a whole second, then OpenSearch gets its times with a fraction and nothing else changes', async () => {
    const bulk =
      [
        '{"index":{"_index":"tasklist-list-view-8.6.0_","_id":"2251799813685343"}}',
        '{"creationTime":"2026-12-04T14:21:16Z","completionTime":"2026-12-04T14:21:17.250Z","dueDate":"2026-12-05T08:00:00+01:00","name":"Upload CSR"}',
        '{"index":{"_index":"tasklist-variable-8.6.0_","_id":"v1"}}',
        '{"name":"note","value":"\\"2026-12-04T14:21:16Z\\"","fullValue":"{\\"creationTime\\":\\"2026-12-04T14:21:16Z\\"}"}',
      ].join('\n') + '\n';
    const res = await fetch(`${base}/_bulk?refresh=false`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
    expect(res.status).to.equal(200);
    const [got] = seen;
    const lines = got!.body.split('\n');
    expect(lines[1]).to.equal(
      '{"creationTime":"2026-12-04T14:21:16.000Z","completionTime":"2026-12-04T14:21:17.250Z","dueDate":"2026-12-05T08:00:00.000+01:00","name":"Upload CSR"}',
    );
    // A variable's value is the user's text, inside an escaped string: left as it is.
    expect(lines[3]).to.equal('{"name":"note","value":"\\"2026-12-04T14:21:16Z\\"","fullValue":"{\\"creationTime\\":\\"2026-12-04T14:21:16Z\\"}"}');
    expect(got!.length).to.equal(String(Buffer.byteLength(got!.body)));
  });

  it('when a single document is written, then it is rewritten as well; a search is forwarded unchanged', async () => {
    await fetch(`${base}/tasklist-task-8.6.0_/_doc/42`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"creationTime":"2026-12-04T14:21:16Z"}' });
    const query = '{"query":{"range":{"creationTime":{"gte":"2026-12-04T14:21:16Z"}}}}';
    await fetch(`${base}/tasklist-task-8.6.0_/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: query });
    expect(seen.map((s) => [s.method, s.url, s.body])).to.deep.equal([
      ['PUT', '/tasklist-task-8.6.0_/_doc/42', '{"creationTime":"2026-12-04T14:21:16.000Z"}'],
      ['POST', '/tasklist-task-8.6.0_/_search', query],
    ]);
  });

  it('when the exporter asks the ISM plugin, then the stub answers "nothing to do" and OpenSearch is not asked', async () => {
    const res = await fetch(`${base}/_plugins/_ism/remove/zeebe-record*`, { method: 'POST' });
    expect(await res.json()).to.deep.equal({ updated_indices: 0, failures: false, failed_indices: [] });
    const del = await fetch(`${base}/_plugins/_ism/policies/zeebe-record-retention-policy`, { method: 'DELETE' });
    expect(((await del.json()) as { result: string }).result).to.equal('deleted');
    expect(seen).to.deep.equal([]);
  });
});
