// Regenerates docs/status-page.png from the real status page: `bun tests/screenshots/status-page.ts`.
// The compiled binary on a private Redis and a database of its own, two dead letters in two
// partitions (ids <ms>-<seq>@<partition>), and writes while the page polls, so the numbers and
// the persist-lag chart are live. Needs /usr/bin/chromium. Not a test: it only takes the picture.
// The database is MariaDB: the binary recognises a row MariaDB refuses by Bun's own error
// class; a row Postgres refuses it does not yet dead-letter (store/postgres/classify.ts tests
// postgres.js's PostgresError by its name, which --minify renames), it retries the batch.
import { chromium } from "playwright-core";
import { partitionOf } from "../../src/keys";
import { set, startService, waitFor } from "../../src/testing/process";
import { createStoreDatabase, PrivateRedis } from "../../src/testing/services";

const OUT = `${import.meta.dir}/../../docs/status-page.png`;
const PARTITIONS = 16;

const redis = await PrivateRedis.start();
const db = await createStoreDatabase("mysql");
const svc = await startService({ REDIS_URL: redis.url, DATABASE_URL: db.url, KEY_PREFIX: "wb:", STREAM_PARTITIONS: String(PARTITIONS), FLUSH_BLOCK_MS: "100" });
const sql = new Bun.SQL(db.url);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu"] });
try {
  // Two keys the database refuses, in two different partitions.
  expect((await set(svc.base, "user:1", "Ada")).status, 200);
  await waitFor("the schema", async () => (await sql.unsafe("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'writeback_kv'"))[0]!.n > 0);
  await sql.unsafe("ALTER TABLE writeback_kv ADD CONSTRAINT no_poison CHECK (value NOT LIKE 'poison%')");
  const poisoned = ["session:7f3a", "cart:1042"];
  if (partitionOf(poisoned[0]!, PARTITIONS) === partitionOf(poisoned[1]!, PARTITIONS)) throw new Error("pick keys of two partitions");
  for (const key of poisoned) expect((await set(svc.base, key, "poison: a value the table refuses")).status, 200);
  await waitFor("two dead letters", async () => ((await (await fetch(`${svc.base}/dead-letters`)).json()) as { deadLetters: unknown[] }).deadLetters.length === 2);

  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(`${svc.base}/ui`);
  let stop = false;
  const load = (async () => {
    for (let round = 0; !stop; round++) {
      await Promise.all(Array.from({ length: 40 }, (_, i) => set(svc.base, `user:${i}`, `v${round}`)));
      await Bun.sleep(250);
    }
  })();
  await page.waitForFunction(() => document.querySelectorAll("#chart path").length === 2, undefined, { timeout: 30_000 });
  await Bun.sleep(8000); // a few more samples for the chart
  stop = true;
  await load;
  await page.waitForFunction(() => document.getElementById("deadCount")?.textContent === "2", undefined, { timeout: 15_000 });
  await page.screenshot({ path: OUT, fullPage: true });
  console.log(`wrote ${OUT}`);
} catch (err) {
  console.error(svc.output());
  throw err;
} finally {
  await browser.close();
  await sql.close();
  svc.proc.kill("SIGTERM");
  await svc.proc.exited;
  await redis.stop();
  await db.drop();
}

function expect(got: number, want: number): void {
  if (got !== want) throw new Error(`expected ${want}, got ${got}`);
}
