/** How request paths are written to logs. */

/**
 * Paths as they may be logged: without the query, and with everything after a `secrets`
 * segment masked, since a one-time link's token is a secret (issue 17.16). The router matches
 * case-insensitively and the client may percent-encode, so the segment is compared decoded and
 * in any case (`/api/SECRETS/…`, `/api/secrets%2F…`). Characters outside printable ASCII are
 * logged percent-encoded, so a path cannot break or forge a log line.
 */
export function loggablePath(url: string): string {
  const raw = url.split('?')[0]!;
  // Decode byte by byte (a malformed escape stays as it is): enough to see "secrets" and "/".
  const decoded = raw.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  const segments = decoded.split('/');
  const secrets = segments.findIndex((s) => s.toLowerCase() === 'secrets');
  const kept = secrets >= 0 && secrets < segments.length - 1 ? [...segments.slice(0, secrets + 1), '***'] : segments;
  return kept
    .join('/')
    .replace(/[^\x21-\x24\x26-\x7e]/g, (c) => {
      const code = c.charCodeAt(0);
      return code <= 0xff ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : encodeURIComponent(c);
    });
}
