/**
 * http-01 validation (RFC 8555 8.3): fetch http://<identifier>/.well-known/acme-challenge/<token>
 * and expect the key authorization. Where to connect is configurable (ACME_HTTP01_PORT,
 * ACME_HTTP01_HOST in src/config.ts), so tests and a proxy can point it elsewhere; the request
 * still names the identifier as its Host.
 */
import http from 'node:http';
import { AcmeProblem } from './problems';

export interface Http01Target {
  /** Port to connect to. RFC 8555: 80. */
  port: number;
  /** Address to connect to instead of the identifier itself (e.g. 127.0.0.1 in tests). */
  host?: string;
  /** How long one validation may take. Default 10 s. */
  timeoutMs?: number;
}

const MAX_BODY = 8 * 1024;

/** Resolves when the server for `identifier` answers with the key authorization; else throws an AcmeProblem. */
export function validateHttp01(target: Http01Target, identifier: string, token: string, keyAuthorization: string): Promise<void> {
  const where = `http://${identifier}${target.port === 80 ? '' : `:${target.port}`}/.well-known/acme-challenge/${token}`;
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: target.host ?? identifier,
        port: target.port,
        path: `/.well-known/acme-challenge/${token}`,
        headers: { host: target.port === 80 ? identifier : `${identifier}:${target.port}`, accept: '*/*' },
        timeout: target.timeoutMs ?? 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (body.length > MAX_BODY) req.destroy(new Error('response too large'));
        });
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new AcmeProblem('incorrectResponse', `${where} answered HTTP ${res.statusCode}, not 200 with the key authorization.`));
          else if (body.trim() !== keyAuthorization) reject(new AcmeProblem('incorrectResponse', `${where} answered something other than the key authorization.`));
          else resolve();
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => reject(new AcmeProblem('connection', `Could not fetch ${where}: ${err.message}.`)));
  });
}
