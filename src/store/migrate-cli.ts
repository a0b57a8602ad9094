/** `npm run migrate`: applies pending migrations to the configured (or embedded) database. */
import { loadConfig } from '../config';
import { failureText, openDatabase } from './database';

async function main(): Promise<void> {
  const db = await openDatabase(loadConfig());
  console.log(`[db] ${db.location} is up to date`);
  await db.close();
}

main().catch((err: unknown) => {
  console.error(`migrate failed: ${failureText(err)}`);
  process.exit(1);
});
