/** `npm run seed`: creates the demo data on an empty database (does nothing on a seeded one). */
import { loadConfig } from '../config';
import { failureText, openDatabase } from './database';
import { seedDemoData } from './seed';
import { startBuiltinCa } from '../ca/start';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config);
  const { ca } = await startBuiltinCa(config, db.pool);
  const seeded = await seedDemoData(db.pool, { ca });
  console.log(seeded ? `[seed] demo data created in ${db.location}` : `[seed] ${db.location} already has data; nothing changed`);
  await db.close();
}

main().catch((err: unknown) => {
  console.error(`seed failed: ${failureText(err)}`);
  process.exit(1);
});
