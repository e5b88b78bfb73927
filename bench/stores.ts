// bun bench/stores.ts [--quick] [--only=postgres,mysql,sqlite] [--rounds=N]: the drain rate of writeback on each store (Postgres,
// MySQL/MariaDB, SQLite) as a ratio against that store's own ceiling: the flusher's batch
// upsert alone, from one connection, in batches of the flusher's size, measured in the same
// run, round by round. Then the sustained write rate on each store: POST /set at constant
// rates (rising by 10 % of the store's peak, from half of it) until the backlog stops being
// flat, by the same rule as the Postgres figure of `bun run bench`. Also the two MySQL clients side by side on that ceiling (Bun's SQL
// client, which the store uses, and mysql2), the measured reason for the choice.
// Needs the compiled binary (bun run build), redis-server, and the three databases running.
import { createConnection } from "mysql2/promise";
import { connect } from "../src/cache/redis";
import { setScriptArgs } from "../src/cache/writer";
import { keys } from "../src/keys";
import { loadConfig } from "../src/config";
import { backlog } from "../src/cache/read";
import { openStore } from "../src/store/open";
import { startService } from "../src/testing/process";
import { createStoreDatabase, PrivateRedis, STORE_KINDS, type StoreKind } from "../src/testing/services";
import { $ } from "bun";
import { machine } from "./lib/procfs";
import { spread, type Spread } from "./lib/stats";
import { wrk } from "./lib/wrk";
import { runLevel, type SustainLevel } from "./scenarios/open-loop";

const quick = process.argv.includes("--quick");
const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7).split(",");
const rounds = Number(process.argv.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 0);
const N = quick ? 100_000 : 1_000_000;
const ROUNDS = rounds || (quick ? 1 : 3);
const BATCH = 25_000; // FLUSH_BATCH's default
const VALUE = "x".repeat(32);
const BINARY = `${import.meta.dir}/../dist/writeback`;
const log = (m: string) => console.error(m);

/** The store's ceiling: its batch upsert alone, rows/s. */
async function ceiling(url: string, run: string): Promise<number> {
  const store = openStore({ url, max: 1, statementTimeoutMs: 600_000, lockTimeoutMs: 60_000 });
  await store.migrate();
  const t0 = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, N - i) }, (_, j) => ({ key: `${run}:${String(i + j).padStart(8, "0")}`, value: VALUE, version: 1_700_000_000_000_000 + i + j }));
    await store.upsert(rows);
  }
  const rate = N / ((performance.now() - t0) / 1000);
  await store.close();
  return rate;
}

/** The same statement through mysql2, for the client comparison. */
async function mysql2Ceiling(url: string, run: string): Promise<number> {
  const c = await createConnection({ uri: url });
  const t0 = performance.now();
  const per = 10_000; // the store's placeholder limit: 30,000 / 3
  for (let i = 0; i < N; i += per) {
    const n = Math.min(per, N - i);
    const params: unknown[] = [];
    for (let j = 0; j < n; j++) params.push(Buffer.from(`${run}:${String(i + j).padStart(8, "0")}`), VALUE, 1_700_000_000_000_000 + i + j);
    await c.query(
      `INSERT INTO writeback_kv (\`key\`, value, version) VALUES ${Array.from({ length: n }, () => "(?, ?, ?)").join(", ")}
       ON DUPLICATE KEY UPDATE value = IF(VALUES(version) > version, VALUES(value), value),
       updated_at = IF(VALUES(version) > version, CURRENT_TIMESTAMP(6), updated_at), version = GREATEST(version, VALUES(version))`,
      params,
    );
  }
  const rate = N / ((performance.now() - t0) / 1000);
  await c.end();
  return rate;
}

/** N distinct writes in the stream, then writeback starts on the store; entries/s until drained. */
async function drain(kind: StoreKind, url: string, redis: PrivateRedis, run: string): Promise<number> {
  const k = keys(`${run}:`, loadConfig({}).STREAM_PARTITIONS);
  const client = connect(redis.url, "flusher", 60_000);
  for (let i = 0; i < N; i += 10_000) {
    const p = client.pipeline() as unknown as ReturnType<typeof connect> & { exec(): Promise<unknown> };
    for (let j = i; j < Math.min(N, i + 10_000); j += 500) {
      p.wbSet(...setScriptArgs(k, Array.from({ length: Math.min(500, N - j) }, (_, x) => ({ op: "s" as const, key: `${run}:${j + x}`, value: VALUE })), 0, 0));
    }
    await p.exec();
  }
  const wb = await startService({ REDIS_URL: redis.url, DATABASE_URL: url, KEY_PREFIX: `${run}:`, LOG_LEVEL: "warn" }, { cmd: [BINARY] });
  const t0 = performance.now();
  const remaining = await backlog(client, k);
  while ((await backlog(client, k)) > 0) await Bun.sleep(50);
  const rate = remaining / ((performance.now() - t0) / 1000);
  wb.proc.kill("SIGTERM");
  await wb.proc.exited;
  client.disconnect();
  log(`  ${kind}: drained ${remaining} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return rate;
}

const SUSTAIN_SECONDS = quick ? 10 : 30;

/** POST /set peak (wrk, 5 s) on the store, then constant rates from half of it up while the backlog stays flat. */
async function sustainedOn(kind: StoreKind, url: string, redis: PrivateRedis, run: string): Promise<{ peak: number; levels: SustainLevel[] }> {
  const k = keys(`${run}:`, loadConfig({}).STREAM_PARTITIONS);
  const client = connect(redis.url, "flusher", 60_000);
  const wb = await startService({ REDIS_URL: redis.url, DATABASE_URL: url, KEY_PREFIX: `${run}:`, LOG_LEVEL: "warn" }, { cmd: [BINARY] });
  const drained = async () => {
    while ((await backlog(client, k)) > 0) await Bun.sleep(50);
  };
  try {
    await wrk({ url: wb.base, seconds: 2, connections: 64, threads: 1, runId: `${run}-warm` });
    await drained();
    const peak = (await wrk({ url: wb.base, seconds: 5, connections: 64, threads: 1, runId: `${run}-peak` })).rps;
    await drained();
    const levels: SustainLevel[] = [];
    for (let f = 0.5; f <= 1.51; f += 0.1) {
      const rate = f * peak;
      const level = await runLevel(wb.port, rate, SUSTAIN_SECONDS, () => backlog(client, k), `${run}-${levels.length}`);
      levels.push(level);
      log(`  ${kind}: ${rate.toFixed(0)}/s (${(f * 100).toFixed(0)} % of peak ${peak.toFixed(0)}/s): backlog ≤ ${level.maxBacklog}, ${level.growthPerSecond.toFixed(0)}/s, ${level.flat ? "flat" : "growing"}`);
      await drained();
      if (!level.flat) break;
    }
    return { peak, levels };
  } finally {
    wb.proc.kill("SIGTERM");
    await wb.proc.exited;
    client.disconnect();
  }
}

interface Row {
  kind: StoreKind;
  drain: Spread;
  ceiling: Spread;
  ratio: Spread;
  sustained?: { peak: number; rate: number; levels: SustainLevel[] };
}

const rows: Row[] = [];
let mysqlClients: { bun: Spread; mysql2: Spread } | undefined;
const redis = await PrivateRedis.start(["--appendfsync", "everysec"]);
try {
  for (const kind of STORE_KINDS.filter((k) => !only || only.includes(k))) {
    const drains: number[] = [];
    const ceilings: number[] = [];
    const bun: number[] = [];
    const m2: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Each measurement on a database of its own, so every one writes into an empty table.
      for (const step of ["drain", "ceiling", ...(kind === "mysql" ? ["mysql2"] : [])]) {
        const db = await createStoreDatabase(kind);
        try {
          if (step === "drain") drains.push(await drain(kind, db.url, redis, `d${r}`));
          else if (step === "ceiling") ceilings.push(await ceiling(db.url, `c${r}`));
          else {
            const s = openStore({ url: db.url, max: 1, statementTimeoutMs: 60_000, lockTimeoutMs: 10_000 });
            await s.migrate();
            await s.close();
            m2.push(await mysql2Ceiling(db.url, `m${r}`));
            bun.push(ceilings[ceilings.length - 1]!);
          }
        } finally {
          await db.drop();
        }
      }
      log(`${kind} round ${r + 1}: drain ${drains.at(-1)!.toFixed(0)}/s, ceiling ${ceilings.at(-1)!.toFixed(0)} rows/s${m2.length ? `, mysql2 ${m2.at(-1)!.toFixed(0)} rows/s` : ""}`);
    }
    const db = await createStoreDatabase(kind);
    let sustained: Row["sustained"];
    try {
      const s = await sustainedOn(kind, db.url, redis, `s-${kind}`);
      sustained = { ...s, rate: Math.max(0, ...s.levels.filter((l) => l.flat).map((l) => l.rate)) };
    } finally {
      await db.drop();
    }
    rows.push({ kind, drain: spread(drains), ceiling: spread(ceilings), ratio: spread(drains.map((d, i) => d / ceilings[i]!)), sustained });
    if (kind === "mysql") mysqlClients = { bun: spread(bun), mysql2: spread(m2) };
  }
} finally {
  await redis.stop();
}

function describeMachine(): string {
  const m = machine();
  return `${m.cores} cores, ${m.cpu}, ${m.memGiB} GiB, Bun ${Bun.version}, MariaDB and PostgreSQL and SQLite of this machine`;
}

const commit = (await $`git rev-parse --short HEAD`.nothrow().quiet().text()).trim();
const f = (s: Spread, d = 0) => `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
const lines = [
  `# writeback stores bench, ${new Date().toISOString().slice(0, 10)}${quick ? " (--quick)" : ""}`,
  "",
  `Machine: ${describeMachine()}; writeback ${commit}. ${N.toLocaleString("en")} distinct keys per run, ${ROUNDS} round(s); Redis private, AOF everysec; default settings (2 flusher threads, FLUSH_BATCH 25,000).`,
  "",
  "| store | drain, entries/s | the store's batch upsert alone, rows/s | ratio | bar | result |",
  "|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.kind} | ${f(r.drain)} | ${f(r.ceiling)} | ${f(r.ratio, 2)}× | ≥ 0.5× | ${r.ratio.median >= 0.5 ? "pass" : "**FAIL**"} |`),
  "",
  `Sustained write rate per store: POST /set at constant rates for ${SUSTAIN_SECONDS} s each, from half of the store's peak (wrk, 64 connections, 5 s) up in steps of 10 % of it (to 150 %), until the backlog is not flat (it grows by 1 % of the arrival rate or more over the second half, or holds more than 2 s of arrivals, or a request fails):`,
  "",
  "| store | peak (64 connections) | highest flat rate | share of peak | levels tried |",
  "|---|---|---|---|---|",
  ...rows
    .filter((r) => r.sustained)
    .map((r) => {
      const s = r.sustained!;
      return `| ${r.kind} | ${s.peak.toFixed(0)}/s | ${s.rate.toFixed(0)}/s | ${((100 * s.rate) / s.peak).toFixed(0)} % | ${s.levels.map((l) => `${l.rate.toFixed(0)}/s ${l.flat ? "flat" : "growing"}`).join("; ")} |`;
    }),
  "",
  ...(mysqlClients
    ? [
        "MySQL client, the same batch upsert from one connection (rows/s): " +
          `Bun's SQL client ${f(mysqlClients.bun)}, mysql2 ${f(mysqlClients.mysql2)}.`,
      ]
    : []),
];
const report = lines.join("\n") + "\n";
console.log(report);
await Bun.write(`${import.meta.dir}/results/${new Date().toISOString().slice(0, 10)}-stores${quick ? "-quick" : ""}.md`, report);
