// Stands between Zeebe's OpenSearch exporter (Camunda 8.6) and the embedded OpenSearch, which has
// no Index State Management plugin (Maven Central has none). On every start with existing
// indices the exporter calls /_plugins/_ism/ (remove policy from indices, delete the policy) and,
// refused, stops
// exporting for good (measured: Tasklist and Operate then see nothing new). This answers the
// /_plugins/_ism/ calls as "nothing to do" and forwards everything else unchanged.
// Usage: node ism-stub.js <listen port> <OpenSearch URL>
'use strict';
const http = require('node:http');

const port = Number(process.argv[2]);
const target = new URL(process.argv[3]);

http
  .createServer((req, res) => {
    if (req.url.startsWith('/_plugins/_ism/')) {
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
      return;
    }
    const upstream = http.request(
      { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `OpenSearch unreachable: ${err.message}` }));
    });
    req.pipe(upstream);
  })
  .listen(port, '127.0.0.1', () => console.log(`ISM stub on 127.0.0.1:${port} -> ${target.origin}`));
