// /docs in a real browser with no network beyond the service (Debian's Chromium, driven by
// playwright-core): the page's script comes from the binary, so the API reference renders the
// operations offline, and it asks nothing of any other host.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { chromium, type Browser } from "playwright-core";
import { startService, type Running } from "../src/testing/process";
import { createDatabase, testPrefix } from "../src/testing/services";

setDefaultTimeout(120_000);

const CHROMIUM = "/usr/bin/chromium";
const available = process.env.CI === "true" || (await Bun.file(CHROMIUM).exists());

let db: { url: string; drop: () => Promise<void> };
let svc: Running;
let browser: Browser;

beforeAll(async () => {
  if (!available) return;
  db = await createDatabase();
  svc = await startService({ DATABASE_URL: db.url, KEY_PREFIX: testPrefix() });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
      // The network is off: no host name resolves, only the service's loopback address is reachable.
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  svc?.proc.kill("SIGTERM");
  await svc?.proc.exited;
  await db?.drop();
});

test.skipIf(!available)("/docs renders the API reference, with its operations, without the internet", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Anything not from the service is refused (and recorded): the page must not need it.
  const elsewhere: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(svc.base)) return route.continue();
    elsewhere.push(url);
    return route.abort("internetdisconnected");
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  await page.goto(`${svc.base}/docs`);
  // Scalar lists every operation by its summary: all of the document's are on the page.
  const doc = (await (await fetch(`${svc.base}/openapi.json`)).json()) as { paths: Record<string, Record<string, { summary: string }>> };
  const summaries = Object.values(doc.paths).flatMap((methods) => Object.values(methods).map((o) => o.summary));
  expect(summaries.length).toBeGreaterThan(15);
  for (const summary of summaries) await page.getByText(summary, { exact: true }).first().waitFor({ timeout: 30_000 });
  expect(await page.locator("body").innerText()).toContain("writeback");
  expect(problems).toEqual([]);
  expect(elsewhere).toEqual([]);
  await context.close();
});
