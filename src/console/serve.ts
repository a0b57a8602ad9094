/**
 * Serves the operator and admin console (issue 13) under /console on the API's port: one HTML
 * page for every console address, the app bundled by esbuild from ./web on first request (kept
 * in memory, so `npm start` and `npm test` need no build step), and Carbon's stylesheet from
 * @carbon/styles. The pages are public; everything they show comes from the API, signed in.
 *
 * Plain middleware rather than express routes: the API's route walk (the OpenAPI test) covers
 * the API, not these pages.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';
import { PROJECT_ROOT } from '../config';

const WEB_DIR = path.join(__dirname, 'web');
const CARBON_CSS = path.join(PROJECT_ROOT, 'node_modules/@carbon/styles/css/styles.min.css');
/** IBM Plex, the font Carbon's stylesheet loads from IBM's CDN: served from here instead (no third party sees who opens the console). */
const PLEX_CDN = 'https://1.www.s81c.com/common/carbon/plex/fonts/';
const PLEX_DIR = path.join(PROJECT_ROOT, 'node_modules/@ibm/plex');

let carbonCss: string | undefined;
function carbonStylesheet(): string {
  carbonCss ??= fs.readFileSync(CARBON_CSS, 'utf8').replaceAll(PLEX_CDN, '/console/static/fonts/');
  return carbonCss;
}

/** The page every console address answers with; the app picks the view from the address. */
const INDEX = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Workplace PKI console</title>
<link rel="icon" href="/console/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/static/carbon.css">
<link rel="stylesheet" href="/console/static/console.css">
<script defer src="/console/static/app.js"></script>
</head>
<body><div id="root"></div><noscript>The console needs JavaScript.</noscript></body>
</html>
`;

/** A key on Carbon's blue 60: the browser's tab icon (no request answers 404 on every page). */
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="4" fill="#0f62fe"/><circle cx="12" cy="16" r="5" fill="none" stroke="#fff" stroke-width="3"/><path d="M17 16h10m-3 0v5m-4-5v3" stroke="#fff" stroke-width="3" fill="none"/></svg>`;

let bundle: Promise<string> | undefined;

/** The console's script: ./web/main.tsx with React and Carbon, bundled once per process. */
export function consoleBundle(): Promise<string> {
  bundle ??= (async () => {
    // Carbon's packages carry IBM's telemetry client; nothing of it runs here (installs deny it), and this keeps it off.
    process.env.IBM_TELEMETRY_DISABLED = 'true';
    const esbuild = await import('esbuild');
    const out = await esbuild.build({
      entryPoints: [path.join(WEB_DIR, 'main.tsx')],
      bundle: true,
      write: false,
      minify: true,
      format: 'iife',
      platform: 'browser',
      target: ['es2020'],
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': '"production"' },
      legalComments: 'none',
      logLevel: 'silent',
    });
    return out.outputFiles[0]!.text;
  })();
  bundle.catch(() => {
    bundle = undefined; // the next request tries again
  });
  return bundle;
}

/** /console/...: the page, its script and its styles. */
export function consoleApp(): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.baseUrl === '/console' && req.originalUrl === '/console') return res.redirect(301, '/console/');
    res.set('Cache-Control', 'no-cache');
    switch (req.path) {
      case '/static/favicon.svg':
        return res.set('Cache-Control', 'max-age=86400').type('image/svg+xml').send(FAVICON);
      case '/static/app.js':
        consoleBundle().then(
          (js) => res.type('text/javascript').send(js),
          (err: Error) => next(new Error(`the console could not be bundled: ${err.message}`)),
        );
        return;
      case '/static/carbon.css':
        return res.type('text/css').send(carbonStylesheet());
      case '/static/console.css':
        return res.type('text/css').sendFile(path.join(WEB_DIR, 'console.css'));
      default:
        if (req.path.startsWith('/static/fonts/') && req.path.endsWith('.woff2')) {
          // sendFile's root refuses a path that leaves it.
          return res.set('Cache-Control', 'max-age=86400').sendFile(req.path.slice('/static/fonts/'.length), { root: PLEX_DIR }, (err) => err && next());
        }
        if (req.path.startsWith('/static/')) return next();
        res.type('html').send(INDEX);
    }
  };
}

/**
 * A one-time link opened in a browser that has not signed in goes to the console's page for it,
 * which signs in with a form; clients that send credentials (or ask for JSON) get the API's
 * answer as before.
 */
export const secretLinkToConsole: RequestHandler = (req, res, next) => {
  const m = /^\/api\/secret-links\/([^/]+)$/.exec(req.path);
  if (!m || req.method !== 'GET' || req.headers.authorization || req.get('sec-fetch-mode') !== 'navigate') return next();
  res.redirect(303, `/console/secret-links/${encodeURIComponent(m[1]!)}`);
};
