/** `npm test`'s pretest: the browser tests' Chromium is there, or installed, or the run stops with what to do. */
import { ensureBrowser } from './browser';

try {
  ensureBrowser();
} catch (err) {
  console.error(`[browser] ${(err as Error).message}`);
  process.exit(1);
}
