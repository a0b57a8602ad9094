/**
 * `npm test`'s pretest: the programs the suites drive (Debian's chromium for the browser tests;
 * lego, certbot and micromdm's scep client for the protocol tests) are there, or installed in
 * one apt-get run, or the run stops with what to do.
 */
import { CHROMIUM_TOOL } from './browser';
import { ensureDebianTools } from './debian-packages';
import { PROTOCOL_CLIENTS } from './protocol-clients';

try {
  ensureDebianTools([CHROMIUM_TOOL, ...PROTOCOL_CLIENTS]);
} catch (err) {
  console.error(`[tools] ${(err as Error).message}`);
  process.exit(1);
}
