// Stands between the embedded OpenSearch and two writers of Camunda 8.6:
//
// 1. Zeebe's OpenSearch exporter. The embedded OpenSearch has no Index State Management plugin
//    (Maven Central has none). On every start with existing indices the exporter calls
//    /_plugins/_ism/ (remove policy from indices, delete the policy) and, refused, stops
//    exporting for good (measured: Tasklist and Operate then see nothing new). This answers the
//    /_plugins/_ism/ calls as "nothing to do".
// 2. Tasklist's importer. Tasklist 8.6.0 writes a task's times with OffsetDateTime.toString(),
//    which drops the fraction when it is zero ("…T14:21:16Z"); its list-view index accepts only
//    "date_time || epoch_millis", refuses the document, and the importer retries that batch
//    forever: no later task reaches Tasklist (camunda/camunda#27237, fixed after 8.6.0;
//    measured here: about one user task in a thousand is created on a whole second). Writes
//    get ".000" added to such times in fields named …Time or …Date.
//
// Everything else is forwarded unchanged.
// Usage: node ism-stub.js <listen port> <OpenSearch URL>
'use strict';
const http = require('node:http');

/** A JSON field named …Time or …Date holding an ISO date-time without a fraction. */
const WHOLE_SECOND = /("[A-Za-z]*(?:Time|Date)":")(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(Z|[+-]\d\d:?\d\d)"/g;

/** The body of a write with whole-second times given a fraction (camunda/camunda#27237). */
function withFractions(body) {
  return body.replace(WHOLE_SECOND, '$1$2.000$3"');
}

/** Requests that write documents: their JSON bodies are rewritten. */
function isWrite(method, url) {
  return (method === 'POST' || method === 'PUT') && /(^|\/)(_bulk|_doc|_create|_update)(\/|\?|$)/.test(url);
}

function ismAnswer(req, res) {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json' });
  // DELETE .../policies/<id> is read for its "result"; the index calls for their failures.
  res.end(
    JSON.stringify(
      req.method === 'DELETE'
        ? { _id: req.url.split('/').pop(), result: 'deleted', _shards: { total: 1, successful: 1, failed: 0 } }
        : { updated_indices: 0, failures: false, failed_indices: [] },
    ),
  );
}

function forward(target, req, res, body) {
  const headers = { ...req.headers };
  if (body !== undefined) {
    delete headers['transfer-encoding'];
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  const upstream = http.request({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', (err) => {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `OpenSearch unreachable: ${err.message}` }));
  });
  if (body !== undefined) upstream.end(body);
  else req.pipe(upstream);
}

function createStub(target) {
  return http.createServer((req, res) => {
    if (req.url.startsWith('/_plugins/_ism/')) return ismAnswer(req, res);
    // A compressed body is passed on as it is (neither writer compresses here).
    if (!isWrite(req.method, req.url) || req.headers['content-encoding']) return forward(target, req, res);
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => forward(target, req, res, withFractions(Buffer.concat(chunks).toString('utf8'))));
  });
}

if (require.main === module) {
  const port = Number(process.argv[2]);
  const target = new URL(process.argv[3]);
  createStub(target).listen(port, '127.0.0.1', () => console.log(`ISM stub on 127.0.0.1:${port} -> ${target.origin}`));
} else {
  module.exports = { withFractions, isWrite, createStub };
}
