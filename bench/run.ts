// bun run bench [--quick] [--only=<parts>] (--help: the usage): measures writeback against
// baselines run on the same machine in the same run, prints the table and writes it to
// bench/results/<date>.md.
// See bench/README.md for what each figure means and how it is measured.
import { $ } from "bun";
import { mkdirSync } from "node:fs";
import { BenchEnv } from "./lib/env";
import { describeSetup } from "./lib/setup";
import { cpuTable, fmtMiB, fmtMs, fmtRate, fmtRatio, renderReport, updateReadme, type Figure } from "./lib/report";
import { FULL, QUICK } from "./params";
import { coalescing, drain } from "./scenarios/drain";
import { latencyAt, sustained, visibility } from "./scenarios/open-loop";
import { throughput } from "./scenarios/throughput";
import { versusDirect } from "./scenarios/direct";
import { byValueSize, memoryPerWrite } from "./scenarios/values";
import { api, memoryUnderEviction } from "./scenarios/api";
import { instances, partitions, waitCost } from "./scenarios/scale";
import { commandLine, redisCost } from "./scenarios/redis-cost";

// Parts a run can be limited to, for development; a partial run does not update the README.
const PARTS = {
  write: "write throughput, latency at half of peak, sustained capacity, visibility in Postgres",
  direct: "against B-direct (the application writing Postgres itself)",
  drain: "drain rate and coalescing",
  api: "reads, /incr, /mset, Redis memory under eviction",
  scale: "16 partitions vs 1, 2 instances vs 1, on one Redis",
  redis: "Redis's CPU per write (distinct keys, 10x more on top, hot keys), memory per clean key",
} as const;
type Part = keyof typeof PARTS;

const USAGE = `usage: bun run bench [--quick] [--only=<part>[,<part>...]]

Measures writeback against baselines run on the same machine in the same run, prints the
table and writes it to bench/results/<date>.md; a full run (about an hour on 2 cores) also
updates the table in README.md. Needs wrk and redis-server (see bench/README.md).

  --quick          every part shrunk to fit about a minute, for development (not comparable)
  --only=<parts>   only these parts, comma-separated (a partial run leaves the README alone):
${Object.entries(PARTS).map(([name, what]) => `                     ${name.padEnd(7)} ${what}`).join("\n")}
  -h, --help       this text
`;

/** The command line: --quick, --only=<parts>, --help; anything else is refused with the usage (exit 2). */
function parseArgs(args: string[]): { quick: boolean; only?: Set<Part> } {
  const refuse = (why: string): never => {
    console.error(`bench: ${why}\n\n${USAGE}`);
    process.exit(2);
  };
  let quick = false;
  let only: Set<Part> | undefined;
  for (const arg of args) {
    if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === "--quick") quick = true;
    else if (arg.startsWith("--only=")) {
      const names = arg.slice("--only=".length).split(",").filter(Boolean);
      const unknown = names.filter((n) => !(n in PARTS));
      if (names.length === 0 || unknown.length > 0) refuse(`unknown part ${JSON.stringify(unknown[0] ?? "")} in ${arg}; the parts are ${Object.keys(PARTS).join(", ")}`);
      only = new Set([...(only ?? []), ...(names as Part[])]);
    } else refuse(`unknown argument ${JSON.stringify(arg)}`);
  }
  return { quick, only };
}

const args = parseArgs(process.argv.slice(2));
const p = args.quick ? QUICK : FULL;
const only = args.only;
const want = (part: Part) => !only || only.has(part);
const ROOT = `${import.meta.dir}/..`;
const started = Date.now();
const log = (m: string) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${m}`);

for (const tool of ["wrk", "redis-benchmark", "redis-server"]) {
  if (!Bun.which(tool)) {
    console.error(`bench needs ${tool}: apt-get install wrk redis-server (Debian/Ubuntu)`);
    process.exit(2);
  }
}

// The settings under test: the defaults, unless the environment overrides them.
const serviceEnv: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if ((k.startsWith("FLUSH_") || k === "STREAM_PARTITIONS") && v) serviceEnv[k] = v;
const batch = Number(serviceEnv.FLUSH_BATCH ?? (await import("../src/config")).loadConfig({}).FLUSH_BATCH);

log("building dist/writeback");
await $`bun run build`.cwd(ROOT).quiet();
const env = await BenchEnv.create(serviceEnv);
const figures: Figure[] = [];
const notes: string[] = [];
try {
  let t: Awaited<ReturnType<typeof throughput>> | undefined;
  let sus: Awaited<ReturnType<typeof sustained>> | undefined;
  let d: Awaited<ReturnType<typeof drain>> | undefined;
  if (want("write")) {
    const wb = await env.startWriteback();
    const http = await env.startBaseline("B-http", "http.ts", "bhttp:");
    const naive = await env.startBaseline("B-naive", "naive.ts", "naive:");

    log(`write throughput: ${p.rounds} rounds of ${p.roundSeconds} s, ${p.connections} connections`);
    t = await throughput(env, p, { writeback: wb, http, naive }, log);
    await http.stop();
    await naive.stop();
    await wb.stop(); // each scenario below starts its own, on an empty Redis and table
    const peak = t.writeback.median;
    figures.push(
      {
        figure: "write throughput vs B-http",
        value: fmtRate(t.writeback),
        baseline: fmtRate(t.http),
        ratio: fmtRatio(t.ratio.http),
        bar: "≥ 0.5×",
        pass: t.ratio.http.median >= 0.5,
      },
      {
        figure: "write throughput vs B-naive",
        value: fmtRate(t.writeback),
        baseline: fmtRate(t.naive),
        ratio: fmtRatio(t.ratio.naive),
        bar: "—",
        pass: undefined,
      },
      {
        figure: "write throughput vs B-redis",
        value: fmtRate(t.writeback),
        baseline: fmtRate(t.redis),
        ratio: fmtRatio(t.ratio.redis),
        bar: "—",
        pass: undefined,
      },
    );
    if (t.errors > 0) notes.push(`${t.errors} requests failed or answered non-2xx during the throughput rounds.`);

    log(`write throughput by value size: 32 B, 1 KiB, 16 KiB, 64 connections, distinct keys`);
    {
      const wb3 = await env.freshWriteback();
      const v = await byValueSize(env, p, wb3, log);
      await wb3.stop();
      const mem = await memoryPerWrite(env);
      figures.push({
        figure: "Redis memory per unpersisted write (cache entry + stream entry), 32 B / 1 KiB / 16 KiB values",
        value: mem.map((m) => `${Math.round(m.perWrite).toLocaleString("en-US")} B`).join(" / "),
        baseline: `values ${mem.map((m) => m.bytes.toLocaleString("en-US")).join(" / ")} B`,
        ratio: mem.map((m) => `${(m.perWrite / m.bytes).toFixed(2)}×`).join(" / "),
        bar: "—",
        pass: undefined,
      });
      notes.push(`Of the Redis memory per unpersisted write, the stream's share: ${mem.map((m) => `${m.bytes.toLocaleString("en-US")} B values ${Math.round(m.streamPerWrite)} B`).join(", ")}.`);
      for (const size of v.sizes.slice(1)) {
        figures.push({
          figure: `write throughput with ${size.bytes / 1024} KiB values vs 32-byte values, 64 connections`,
          value: fmtRate(size.rps),
          baseline: fmtRate(v.sizes[0]!.rps),
          ratio: fmtRatio(size.ratio),
          bar: size.bytes === 1024 ? "≥ 0.8×" : "—",
          pass: size.bytes === 1024 ? size.ratio.median >= 0.8 : undefined,
        });
      }
    }

    log(`latency at 50% of peak (${Math.round(peak / 2)}/s) for ${p.latencySeconds} s`);
    const lat = await latencyAt(env, p, peak / 2);
    log(
      `  sent ${lat.sent}, answered ${lat.completed} (${lat.ok} 2xx), errors ${lat.errors}, ${Math.round(lat.achieved)}/s achieved, generator ${lat.behindMs.toFixed(1)} ms behind schedule`,
    );
    if (lat.ok !== lat.sent || lat.achieved < 0.97 * lat.target) {
      notes.push(
        `The latency run did not go as scheduled: ${lat.sent} sent, ${lat.ok} answered 2xx, ${lat.errors} errors, ${Math.round(lat.achieved)}/s achieved of ${lat.target}/s.`,
      );
    }
    const pct = (x: number) => (Number.isNaN(x) ? "—" : `${(100 * x).toFixed(x < 0.001 ? 3 : 2)} %`);
    notes.push(
      [
        `What the tail at 50 % of peak is made of: the share of writes slower than each bound, as the client timed them (from when each was due) and as the server did (writeback_write_seconds: handler start to answer). Where the client's share exceeds the server's, the time was spent outside the handler: in the socket, the event loop's queue, or waiting for a core.`,
        "",
        "| slower than | client | server |",
        "|---|---|---|",
        ...lat.tailShares.filter((t) => t.boundMs >= 0.5).map((t) => `| ${t.boundMs} ms | ${pct(t.client)} | ${pct(t.server)} |`),
      ].join("\n"),
    );
    figures.push({
      figure: "write latency p99 at 50 % of peak",
      value: `${lat.p99.toFixed(2)} ms (p50 ${lat.p50.toFixed(2)}, p99.9 ${lat.p999.toFixed(2)}; server's own p99 ${lat.serverP99.toFixed(2)})`,
      baseline: `${lat.target}/s offered`,
      ratio: "—",
      bar: "≤ 5 ms",
      pass: lat.p99 <= 5 && lat.ok === lat.sent,
    });

    log(`sustained capacity: constant rate for ${p.sustainSeconds} s per level`);
    sus = await sustained(env, p, peak, log);
    figures.push({
      figure: "sustained capacity (backlog flat)",
      value: `${Math.round(sus.rate).toLocaleString("en-US")}/s`,
      baseline: `peak ${Math.round(peak).toLocaleString("en-US")}/s`,
      ratio: `${(sus.rate / peak).toFixed(2)}×`,
      bar: "≥ 0.7×",
      pass: sus.rate >= 0.7 * peak,
    });

    const visRate = (sus.rate || peak * 0.5) / 2;
    log(`write → visible in Postgres at ${Math.round(visRate)}/s for ${p.visibleSeconds} s`);
    const vis = await visibility(env, p, visRate);
    figures.push({
      figure: "write → visible in Postgres, p99 at 50 % of sustained",
      value: `${vis.p99Ms.toFixed(0)} ms (p50 ${vis.p50Ms.toFixed(0)})`,
      baseline: `${Math.round(visRate)}/s offered`,
      ratio: "—",
      bar: "≤ 250 ms",
      pass: vis.p99Ms <= 250,
    });
    figures.push({
      figure: "writeback RSS at peak load",
      value: fmtMiB(t.maxRssBytes),
      baseline: "—",
      ratio: "—",
      bar: "≤ 300 MiB",
      pass: t.maxRssBytes <= 300 * 1024 * 1024,
    });
  }

  if (want("direct")) {
    log(`writeback vs B-direct (write-through into Postgres), 64 connections, distinct and 100 hot keys`);
    {
      const wb2 = await env.freshWriteback();
      const direct = await env.startBaseline("B-direct", "direct.ts", "direct:");
      const v = await versusDirect(env, p, { writeback: wb2, direct }, log);
      await direct.stop();
      await wb2.stop();
      figures.push(
        {
          figure: "write throughput vs B-direct, 64 connections, distinct keys",
          value: fmtRate(v.distinct.writeback),
          baseline: fmtRate(v.distinct.direct),
          ratio: fmtRatio(v.distinct.ratio),
          bar: "≥ 2.5×",
          pass: v.distinct.ratio.median >= 2.5,
        },
        {
          figure: "write throughput vs B-direct, 64 connections, 100 hot keys",
          value: fmtRate(v.hot.writeback),
          baseline: fmtRate(v.hot.direct),
          ratio: fmtRatio(v.hot.ratio),
          bar: "≥ 3.5×",
          pass: v.hot.ratio.median >= 3.5,
        },
        {
          figure: `write latency p99 at ${v.latency.rate.toLocaleString("en-US")}/s (half of B-direct's peak) vs B-direct's`,
          value: fmtMs(v.latency.writeback),
          baseline: fmtMs(v.latency.direct),
          ratio: fmtRatio(v.latency.ratio),
          bar: "≤ 0.33×",
          pass: v.latency.ratio.median <= 1 / 3,
        },
      );
    }

  }

  if (want("api")) {
    log(`API: cache-hit reads, /incr on 100 hot keys, /mset of 100 items, against B-http`);
    const wb = await env.freshWriteback();
    const http = await env.startBaseline("B-http", "http.ts", "bhttp:");
    // A second writeback on the same Redis stream and table, without the OpenAPI document.
    const noDocs = await env.startWriteback({ OPENAPI: "false", CONSUMER_NAME: "nodocs" }, "writeback OPENAPI=false");
    const a = await api(env, p, { writeback: wb, http, noDocs }, log);
    await http.stop();
    await noDocs.stop();
    await wb.stop();
    figures.push(
      {
        figure: "cache-hit reads (GET /get, 1,000 keys) vs B-http's GET",
        value: fmtRate(a.reads.writeback),
        baseline: fmtRate(a.reads.http),
        ratio: fmtRatio(a.reads.ratio),
        bar: "—",
        pass: undefined,
      },
      {
        figure: "POST /incr on 100 hot keys vs B-http's POST /set",
        value: fmtRate(a.incr.writeback),
        baseline: fmtRate(a.http),
        ratio: fmtRatio(a.incr.ratio),
        bar: "—",
        pass: undefined,
      },
      {
        figure: "POST /set with the OpenAPI document served vs with OPENAPI=false",
        value: fmtRate(a.docs.with),
        baseline: fmtRate(a.docs.without),
        ratio: fmtRatio(a.docs.ratio),
        bar: "≈ 1× (no measurable slowdown)",
        pass: undefined,
      },
      {
        figure: `POST /set beside ${a.waiting.waiterRate.toLocaleString("en-US")}/s writes with ?wait=persisted vs beside the same writes not waiting`,
        value: fmtRate(a.waiting.beside),
        baseline: fmtRate(a.waiting.besidePlain),
        ratio: fmtRatio(a.waiting.ratio),
        bar: "≈ 1× (waiters do not slow the others)",
        pass: undefined,
      },
      {
        figure: `POST /set p99 at ${Math.round(a.waiting.halfRate).toLocaleString("en-US")}/s (half its peak) beside the waiting writes vs beside the same not waiting`,
        value: `${a.waiting.othersP99Ms.median.toFixed(1)} ms`,
        baseline: `${a.waiting.othersP99PlainMs.median.toFixed(1)} ms`,
        ratio: fmtRatio(a.waiting.p99Ratio),
        bar: "—",
        pass: undefined,
      },
      {
        figure: "time to the database of a ?wait=persisted write (p50 / p99), beside POST /set at peak",
        value: `${a.waiting.waiterP50Ms.median.toFixed(0)} / ${a.waiting.waiterP99Ms.median.toFixed(0)} ms`,
        baseline: "—",
        ratio: "—",
        bar: "—",
        pass: undefined,
      },
      {
        figure: "POST /mset of 100 items, writes/s vs B-http's POST /set",
        value: fmtRate(a.mset.writesPerSecond),
        baseline: fmtRate(a.http),
        ratio: fmtRatio(a.mset.ratio),
        bar: "—",
        pass: undefined,
      },
    );
    log(`Redis memory: 10x maxmemory (32 MiB) of distinct 4 KB writes through a volatile-lru Redis`);
    const m = await memoryUnderEviction(env, log);
    figures.push({
      figure: "Redis memory after 10× maxmemory of distinct keys (volatile-lru)",
      value: `${fmtMiB(m.peakCounted)} peak, ${m.evicted.toLocaleString("en-US")} evicted`,
      baseline: `maxmemory ${fmtMiB(m.maxmemory)}, ${fmtMiB(m.written)} written`,
      ratio: `${(m.peakCounted / m.maxmemory).toFixed(2)}×`,
      bar: "≤ 1.05×",
      pass: m.peakCounted <= 1.05 * m.maxmemory && m.evicted > 0,
    });
  }

  if (want("drain")) {
    log(
      `drain: ${p.drainWrites.toLocaleString("en-US")} distinct writes, ${p.drainRounds} rounds against B-pg (batch ${batch})`,
    );
    d = await drain(env, p, batch, log);
    figures.push({
      figure: `drain rate, ${p.drainWrites.toLocaleString("en-US")} distinct keys`,
      value: fmtRate(d.drain),
      baseline: `B-pg ${fmtRate(d.pg)}`,
      ratio: fmtRatio(d.ratio),
      bar: "≥ 0.6×",
      pass: d.ratio.median >= 0.6,
    });

    log(`coalescing: ${p.coalesceWrites.toLocaleString("en-US")} writes over ${p.hotKeys} keys`);
    const c = await coalescing(env, p);
    figures.push(
      {
        figure: `coalescing, ${p.coalesceWrites.toLocaleString("en-US")} writes over ${p.hotKeys.toLocaleString("en-US")} keys`,
        value: `${c.rows.toLocaleString("en-US")} rows`,
        baseline: `${c.writes.toLocaleString("en-US")} writes`,
        ratio: `${((100 * c.rows) / c.writes).toFixed(2)} %`,
        bar: "≤ 5 %",
        pass: c.rows <= 0.05 * c.writes,
      },
      {
        figure: "stream memory after the drain",
        value: `${c.streamBytes.toLocaleString("en-US")} bytes, ${c.streamLength} entries`,
        baseline: `Redis used ${fmtMiB(c.redisUsedBytes)} (the cache)`,
        ratio: "—",
        bar: "≤ 64 KiB",
        pass: c.streamBytes <= 64 * 1024 && c.streamLength === 0,
      },
    );
  }

  if (want("scale")) {
    log(`scale: 16 partitions vs 1, then 2 instances vs 1, ${p.rounds} rounds each, on one Redis`);
    const parts = await partitions(env, p, log);
    const inst = await instances(env, p, log);
    log("REDIS_WAIT_REPLICAS=1 vs 0, one replica attached");
    const wc = await waitCost(env, p, log);
    figures.push(
      {
        figure: "write throughput, 16 partitions vs 1, one Redis",
        value: fmtRate(parts.write.a),
        baseline: fmtRate(parts.write.b),
        ratio: fmtRatio(parts.write.ratio),
        bar: "≥ 0.9×",
        pass: parts.write.ratio.median >= 0.9,
      },
      {
        figure: `drain rate, 16 partitions vs 1, ${p.drainWrites.toLocaleString("en-US")} distinct keys`,
        value: fmtRate(parts.drain.a),
        baseline: fmtRate(parts.drain.b),
        ratio: fmtRatio(parts.drain.ratio),
        bar: "≥ 0.9×",
        pass: parts.drain.ratio.median >= 0.9,
      },
      {
        figure: "write throughput, 2 instances vs 1 (connections split over them), one Redis",
        value: fmtRate(inst.write.a),
        baseline: fmtRate(inst.write.b),
        ratio: fmtRatio(inst.write.ratio),
        bar: "—",
        pass: undefined,
      },
      {
        figure: "drain rate, 2 instances vs 1, one Redis",
        value: fmtRate(inst.drain.a),
        baseline: fmtRate(inst.drain.b),
        ratio: fmtRatio(inst.drain.ratio),
        bar: "—",
        pass: undefined,
      },
      {
        figure: "write throughput, REDIS_WAIT_REPLICAS=1 vs 0 (one replica on the same host)",
        value: fmtRate(wc.write.a),
        baseline: fmtRate(wc.write.b),
        ratio: fmtRatio(wc.write.ratio),
        bar: "—",
        pass: undefined,
      },
      {
        figure: "write p99 at peak, REDIS_WAIT_REPLICAS=1 vs 0",
        value: fmtMs(wc.p99.a),
        baseline: fmtMs(wc.p99.b),
        ratio: fmtRatio(wc.p99.ratio),
        bar: "—",
        pass: undefined,
      },
    );
  }

  if (want("redis")) {
    const rc = await redisCost(env, p, log);
    const fmtUs = (us: number) => `${us.toFixed(1)} µs`;
    const n = (x: number) => x.toLocaleString("en-US");
    figures.push(
      {
        figure: `Redis CPU per acknowledged write, ${n(rc.firstKeys)} distinct keys (POST /mset, until Postgres has them)`,
        value: fmtUs(rc.distinct.cpuPerWrite),
        baseline: `${n(rc.firstKeys)} writes in ${rc.distinct.seconds.toFixed(1)} s`,
        ratio: "—",
        bar: "≤ 10 µs",
        pass: rc.distinct.cpuPerWrite <= 10,
      },
      {
        figure: `Redis CPU per acknowledged write, ${n(rc.moreKeys)} more distinct keys on top`,
        value: fmtUs(rc.more.cpuPerWrite),
        baseline: `${n(rc.moreKeys)} writes in ${rc.more.seconds.toFixed(1)} s`,
        ratio: "—",
        bar: "≤ 10 µs",
        pass: rc.more.cpuPerWrite <= 10,
      },
      {
        figure: "Redis CPU per acknowledged write, 100 hot keys (POST /set)",
        value: fmtUs(rc.hot.cpuPerWrite),
        baseline: `${n(rc.hot.writes)} writes in ${rc.hot.seconds.toFixed(1)} s`,
        ratio: "—",
        bar: "≤ 8 µs",
        pass: rc.hot.cpuPerWrite <= 8,
      },
      {
        figure: "Redis bytes per clean cached key (32 B value, ~9 B key)",
        value: `${rc.bytesPerCleanKey.toFixed(0)} B`,
        baseline: `${n(rc.firstKeys)} keys`,
        ratio: "—",
        bar: "≤ 150 B",
        pass: rc.bytesPerCleanKey <= 150,
      },
      {
        figure: `keys/s reaching Postgres while ${n(rc.moreKeys)} keys are filled on top of ${n(rc.firstKeys)}, vs the first ${n(rc.firstKeys)}`,
        value: `${n(Math.round(rc.more.persistRate))}/s`,
        baseline: `${n(Math.round(rc.distinct.persistRate))}/s`,
        ratio: `${(rc.more.persistRate / rc.distinct.persistRate).toFixed(2)}×`,
        bar: "≥ 0.95×",
        pass: rc.more.persistRate >= 0.95 * rc.distinct.persistRate,
      },
    );
    notes.push(
      `Redis's commands per write (INFO commandstats; scripts include the commands they run, listed too): distinct keys: ${commandLine(rc.distinct)}; the keys on top: ${commandLine(rc.more)}; hot keys: ${commandLine(rc.hot)}.`,
    );
  }

  const date = new Date().toISOString().slice(0, 10);
  const setup = await describeSetup(env, ROOT, { FLUSH_BATCH: batch, ...serviceEnv });
  const report = renderReport({
    title: `writeback bench, ${date}${p.quick ? " (--quick)" : ""}`,
    setup: [
      setup,
      `Every load generator, server and database shares the same cores. Medians of ${p.rounds} interleaved rounds (min–max) after a warm-up; ratios are paired round by round; ${p.connections} connections.`,
    ],
    figures,
    sections: [
      ...(t
        ? [
            {
              title:
                "Where the CPU goes, per write, over the writeback throughput rounds and the drain that followed each:",
              body: cpuTable("process", t.cpuPerWrite),
            },
          ]
        : []),
      ...(d
        ? [
            {
              title: `Per entry during the ${p.drainWrites.toLocaleString("en-US")}-key drains:`,
              body: cpuTable("process", d.cpuPerEntry),
            },
          ]
        : []),
    ],
    notes: [
      ...(sus
        ? [
            `Sustained-capacity levels tried: ${sus.levels.map((l) => `${Math.round(l.rate)}/s ${l.flat ? "flat" : "not flat"} (backlog ≤ ${l.maxBacklog})`).join("; ")}.`,
          ]
        : []),
      ...notes,
      `Reproduce: \`bun run bench${p.quick ? " --quick" : ""}\` (needs wrk and redis-server; see bench/README.md). Took ${Math.round((Date.now() - started) / 1000)} s.`,
    ],
  });
  console.log(report);
  mkdirSync(`${import.meta.dir}/results`, { recursive: true });
  const file = `${import.meta.dir}/results/${date}${p.quick || only ? "-partial" : ""}.md`;
  await Bun.write(file, report);
  log(`written to ${file}`);
  if (!p.quick && !only && (await updateReadme(`${ROOT}/README.md`, report))) log("README.md table updated");
} finally {
  await env.close();
}
process.exit(0);
