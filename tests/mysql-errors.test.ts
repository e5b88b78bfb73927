// MySQL / MariaDB errors that are not about the rows: the service retries them and dead-letters
// nothing (a server or user limit: 1461 prepared statements, 1226 max_user_connections), a
// row too large for max_allowed_packet (1153) goes to the dead letters instead of wedging the
// flusher, and a MAX_VALUE_BYTES the server cannot take stops the service at start (exit 2).
// Server-wide settings change only on a private mariadbd (tests/helpers/mariadb.ts).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { binary } from "../src/testing/binary";
import { set, startService, waitFor, type Running } from "../src/testing/process";
import { PrivateRedis } from "../src/testing/services";
import { PrivateMariaDb } from "./helpers/mariadb";

setDefaultTimeout(90_000);

let server: PrivateMariaDb;
let admin: InstanceType<typeof Bun.SQL>;
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await PrivateRedis.start();
  server = await PrivateMariaDb.start();
  admin = server.admin();
});
afterAll(async () => {
  await admin?.close();
  await Promise.all([server?.stop(), redis?.stop()]);
});

let n = 0;
/** A database of its own on the private server, and the service on it. */
async function scene(env: Record<string, string>, fn: (ctx: { db: string; svc: Running }) => Promise<void>, user = "root", password = ""): Promise<void> {
  const db = `wb${++n}`;
  await admin.unsafe(`CREATE DATABASE ${db}`);
  let svc: Running | undefined;
  try {
    svc = await startService({
      REDIS_URL: redis.url,
      DATABASE_URL: server.url(db, user, password),
      KEY_PREFIX: `me${n}:`,
      CONSUMER_NAME: `me${n}`,
      FLUSH_WORKERS: "1",
      FLUSH_BLOCK_MS: "100",
      FLUSH_RETRY_MAX_MS: "300",
      ...env,
    });
    // The flusher thread is set up (migrated, owner recorded): its connection is open.
    await waitFor("the flusher thread set up", async () => (await admin.unsafe(`SELECT 1 FROM ${db}.writeback_meta WHERE name = 'key_prefix'`).catch(() => [])).length > 0);
    await fn({ db, svc });
  } finally {
    svc?.proc.kill(9);
    await svc?.proc.exited;
    await admin.unsafe(`DROP DATABASE IF EXISTS ${db}`);
  }
}

async function deadLetters(base: string): Promise<{ key: string; reason: string; error?: string }[]> {
  const r = await fetch(`${base}/dead-letters`);
  return ((await r.json()) as { deadLetters: { key: string; reason: string; error?: string }[] }).deadLetters;
}

async function flushRetries(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith('writeback_flush_retries_total{step="flush"}'));
  return line ? Number(line.split(" ").pop()) : 0;
}

async function persisted(db: string, keys: string[]): Promise<string[]> {
  const rows = (await admin.unsafe(`SELECT CAST(\`key\` AS CHAR) AS k FROM ${db}.writeback_kv WHERE value IS NOT NULL`)) as { k: string }[];
  const have = new Set(rows.map((r) => r.k));
  return keys.filter((k) => have.has(k));
}

/** Writes `keys` in one request (one batch, one statement of that many rows). */
async function mset(base: string, keys: string[]): Promise<void> {
  const r = await fetch(`${base}/mset`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ items: keys.map((key) => ({ key, value: `v-${key}` })) }),
  });
  expect(r.status).toBe(200);
}

/** Kills the connections to `db` (the service's), so its next statement connects again. */
async function killConnections(db: string, keep: number[] = []): Promise<void> {
  const rows = (await admin.unsafe(`SELECT id FROM information_schema.PROCESSLIST WHERE db = '${db}'`)) as { id: number }[];
  for (const { id } of rows) if (!keep.includes(Number(id))) await admin.unsafe(`KILL CONNECTION ${id}`).catch(() => {});
}

describe("errors about the server or the user's limits are retried, never dead-lettered", () => {
  test("1461: the server's prepared-statement limit reached; the writes land once it is raised", () =>
    scene({}, async ({ db, svc }) => {
      await admin.unsafe("SET GLOBAL max_prepared_stmt_count = 0");
      const keys = ["p1", "p2", "p3", "p4", "p5"];
      try {
        await mset(svc.base, keys); // a statement of five rows: new to the flusher's connection, so prepared now
        await waitFor("the flush failed", async () => (await flushRetries(svc.base)) > 0 || (await deadLetters(svc.base)).length > 0);
        expect(await deadLetters(svc.base)).toEqual([]);
      } finally {
        await admin.unsafe("SET GLOBAL max_prepared_stmt_count = DEFAULT");
      }
      await waitFor("the writes persisted", async () => (await persisted(db, keys)).length === keys.length);
      expect(await deadLetters(svc.base)).toEqual([]);
    }));

  test("1226: the user's max_user_connections taken; the writes land once connections are freed", async () => {
    await admin.unsafe("CREATE USER limited@'%' IDENTIFIED BY 'pw' WITH MAX_USER_CONNECTIONS 8");
    const holders: InstanceType<typeof Bun.SQL>[] = [];
    try {
      await admin.unsafe(`GRANT ALL ON *.* TO limited@'%'`);
      await scene({}, async ({ db, svc }) => {
        // Every connection of the user taken by others: the flusher's reconnect is refused.
        await killConnections(db);
        for (let refused = false; !refused && holders.length < 8; ) {
          const h = new Bun.SQL({ url: server.url(db, "limited", "pw"), max: 1 });
          refused = await h.unsafe("SELECT 1").then(() => false, (e: { errno?: number }) => e.errno === 1226);
          if (refused) await h.close();
          else holders.push(h);
        }
        expect(holders.length).toBe(8);
        const keys = ["u1", "u2", "u3", "u4", "u5"];
        await mset(svc.base, keys);
        await waitFor("the flush failed", async () => (await flushRetries(svc.base)) > 0 || (await deadLetters(svc.base)).length > 0);
        expect(await deadLetters(svc.base)).toEqual([]);
        for (const h of holders.splice(0)) await h.close();
        await waitFor("the writes persisted", async () => (await persisted(db, keys)).length === keys.length);
        expect(await deadLetters(svc.base)).toEqual([]);
      }, "limited", "pw");
    } finally {
      for (const h of holders) await h.close().catch(() => {});
      await admin.unsafe("DROP USER IF EXISTS limited@'%'");
    }
  });
});

test("a row larger than max_allowed_packet (1153) goes to the dead letters; the thread is not stuck and the rows beside it persist", () =>
  scene({ MAX_VALUE_BYTES: String(4 << 20), FLUSH_STUCK_MS: "3000" }, async ({ db, svc }) => {
    // An operator lowers the limit after writeback started (it checked the old one).
    await admin.unsafe(`SET GLOBAL max_allowed_packet = ${1 << 20}`);
    try {
      await killConnections(db); // new connections take the new limit
      expect((await set(svc.base, "small-1", "a")).status).toBe(200);
      expect((await set(svc.base, "big", "x".repeat(2 << 20))).status).toBe(200);
      expect((await set(svc.base, "small-2", "b")).status).toBe(200);
      await waitFor("the big row dead-lettered", async () => (await deadLetters(svc.base)).some((d) => d.key === "big"), 30_000);
      const [letter] = await deadLetters(svc.base);
      expect(letter).toMatchObject({ key: "big", reason: "rejected by the database" });
      expect(letter!.error).toStartWith("1153 ");
      await waitFor("the rows beside it persisted", async () => (await persisted(db, ["small-1", "small-2"])).length === 2);
      // Nothing left stuck: writes after it persist, and /health stays 200 past FLUSH_STUCK_MS.
      expect((await set(svc.base, "after", "c")).status).toBe(200);
      await waitFor("a later write persisted", async () => (await persisted(db, ["after"])).length === 1);
      await Bun.sleep(3500);
      expect((await fetch(`${svc.base}/health`)).status).toBe(200);
    } finally {
      await admin.unsafe("SET GLOBAL max_allowed_packet = DEFAULT");
    }
  }));

test("a MAX_VALUE_BYTES the server's max_allowed_packet cannot carry: exit 2 naming both", async () => {
  await admin.unsafe("CREATE DATABASE wbpacket");
  try {
    const proc = Bun.spawn([await binary()], {
      env: {
        ...process.env,
        LOG_LEVEL: "warn",
        PORT: "0",
        REDIS_URL: redis.url,
        DATABASE_URL: server.url("wbpacket"),
        KEY_PREFIX: "packet:",
        CONSUMER_NAME: "packet",
        MAX_VALUE_BYTES: String(16 << 20), // the server's default max_allowed_packet: no room left for the key and the statement
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => proc.kill(9), 30_000);
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    clearTimeout(timer);
    expect(code).toBe(2);
    expect(stderr).toContain("MAX_VALUE_BYTES");
    expect(stderr).toContain("max_allowed_packet");
  } finally {
    await admin.unsafe("DROP DATABASE IF EXISTS wbpacket");
  }
});
