// The status page in a real browser (Debian's Chromium, driven by playwright-core): it loads
// with no console errors, shows live numbers after writes, shows a dead letter the test
// creates, and its redrive button (after a confirmation) moves it back, into the database.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import postgres from "postgres";
import { chromium, type Browser } from "playwright-core";
import { startService, set, waitFor, type Running } from "../src/testing/process";
import { createDatabase, PrivateRedis } from "../src/testing/services";

setDefaultTimeout(120_000);

const CHROMIUM = "/usr/bin/chromium";
const available = process.env.CI === "true" || (await Bun.file(CHROMIUM).exists());

let redis: PrivateRedis;
let db: { url: string; drop: () => Promise<void> };
let svc: Running;
let browser: Browser;

beforeAll(async () => {
  if (!available) return;
  redis = await PrivateRedis.start();
  db = await createDatabase();
  svc = await startService({ REDIS_URL: redis.url, DATABASE_URL: db.url, KEY_PREFIX: "ui:", FLUSH_BLOCK_MS: "100" });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

afterAll(async () => {
  await browser?.close();
  svc?.proc.kill("SIGTERM");
  await svc?.proc.exited;
  await redis?.stop();
  await db?.drop();
});

test.skipIf(!available)("the page shows live numbers and dead letters, and re-drives one into the database", async () => {
  // A row the database will reject, so a dead letter exists.
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  expect((await set(svc.base, "ui:first", "x")).status).toBe(200);
  await waitFor("the schema exists", async () => (await sql.unsafe("SELECT to_regclass('writeback_kv') IS NOT NULL AS ok"))[0]!.ok === true);
  await sql.unsafe("ALTER TABLE writeback_kv ADD CONSTRAINT no_poison CHECK (value <> 'poison')");
  expect((await set(svc.base, "ui:poisoned", "poison")).status).toBe(200);
  await waitFor("dead-lettered", async () => ((await (await fetch(`${svc.base}/dead-letters`)).json()) as { deadLetters: unknown[] }).deadLetters.length === 1);

  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));
  await page.goto(`${svc.base}/ui`);
  await page.waitForFunction(() => document.getElementById("state")?.textContent?.includes("flusher threads"));

  // Live numbers: writes while the page polls, until the lag chart has a few samples.
  let stop = false;
  const load = (async () => {
    for (let round = 0; !stop; round++) {
      await Promise.all(Array.from({ length: 40 }, (_, i) => set(svc.base, `ui:load:${i}`, `v${round}`)));
      await Bun.sleep(250);
    }
  })();
  await page.waitForFunction(() => Number(document.getElementById("writes")?.textContent?.replace(/,/g, "")) > 0, undefined, { timeout: 15_000 });
  await page.waitForFunction(() => document.querySelectorAll("#chart path").length === 2, undefined, { timeout: 15_000 });
  stop = true;
  await load;
  expect(await page.textContent("#deadCount")).toBe("1");
  expect(await page.textContent("#dead")).toContain("ui:poisoned");

  // Fix the cause, then re-drive from the page: a confirmation, then the row reaches the database.
  await sql.unsafe("ALTER TABLE writeback_kv DROP CONSTRAINT no_poison");
  let asked = "";
  page.once("dialog", (d) => {
    asked = d.message();
    void d.accept();
  });
  await page.click("#dead button");
  expect(asked).toContain("Re-drive");
  await waitFor("re-driven into the database", async () => (await sql.unsafe("SELECT value FROM writeback_kv WHERE key = 'ui:poisoned'"))[0]?.value === "poison");
  await page.waitForFunction(() => document.getElementById("deadCount")?.textContent === "0", undefined, { timeout: 15_000 });
  await sql.end();
  expect(problems).toEqual([]);
});
