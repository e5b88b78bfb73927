// Operating it (issue 15): the compose file and the Dockerfile (checked by parsing them, and by
// running the Dockerfile's commands where they can run here: the binary from an empty directory
// as a non-root user, with its healthcheck), the exposition under promtool, the alert rules and
// the dashboard against the metrics /metrics really exposes.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigSchema } from "../src/config";
import { binaryCopy, type BinaryCopy } from "../src/testing/binary";
import { startService, waitFor, type Running } from "../src/testing/process";
import { createDatabase, dropPrefix, freePort, SHARED_REDIS_URL, testPrefix } from "../src/testing/services";

setDefaultTimeout(120_000);

const root = join(import.meta.dir, "..");
const read = (f: string) => readFileSync(join(root, f), "utf8");
/** Tools CI installs; a developer without them sees these tests skipped, CI never does. */
const has = (tool: string) => Bun.which(tool) !== null || process.env.CI === "true";
/** Switching to another user (setpriv) needs root: CI is root; elsewhere that test is skipped, and says why. */
const isRoot = process.getuid?.() === 0;

let copy: BinaryCopy | undefined; // dist/writeback (what the Dockerfile's build stage makes), alone in a directory
let db: { url: string; drop: () => Promise<void> } | undefined;
let svc: Running | undefined;
let metricsText = "";
const prefix = testPrefix();

beforeAll(async () => {
  copy = await binaryCopy();
  db = await createDatabase();
  svc = await startService({ REDIS_URL: SHARED_REDIS_URL, DATABASE_URL: db.url, KEY_PREFIX: prefix }, { cmd: [copy.path], cwd: copy.dir });
  await fetch(`${svc.base}/set`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key: "ops", value: "v" }) });
  await fetch(`${svc.base}/get/ops`);
  metricsText = await (await fetch(`${svc.base}/metrics`)).text();
}, 120_000);

afterAll(async () => {
  try {
    svc?.proc.kill("SIGTERM");
    await svc?.proc.exited;
    await dropPrefix(prefix);
    await db?.drop();
  } finally {
    copy?.remove();
  }
});

/** Every metric name /metrics exposes, with a histogram's _bucket, _sum and _count. */
function exposed(): Set<string> {
  const names = new Set<string>();
  for (const m of metricsText.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(m[1]!);
    if (m[2] === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(m[1]! + s);
  }
  return names;
}
const metricNames = (expr: string) => [...expr.matchAll(/\b((?:writeback|process)_[a-z_]+)\b/g)].map((m) => m[1]!);

describe("docker-compose.yml", () => {
  type Service = {
    command?: string[];
    healthcheck?: { test: string[] };
    depends_on?: Record<string, { condition: string }>;
    environment?: Record<string, string>;
    ports?: string[];
    build?: string | { context: string; target?: string };
    profiles?: string[];
    volumes?: string[];
    image?: string;
  };
  const compose = Bun.YAML.parse(read("docker-compose.yml")) as { services: Record<string, Service> };
  const services = compose.services;

  test("redis, postgres and writeback by default, each with a healthcheck; writeback waits for the other two", () => {
    const byDefault = Object.keys(services).filter((name) => !services[name]!.profiles);
    expect(byDefault.sort()).toEqual(["postgres", "redis", "writeback"]);
    for (const name of byDefault) expect(services[name]!.healthcheck?.test.length).toBeGreaterThan(0);
    const wb = services.writeback!;
    expect(wb.build).toBe(".");
    expect(wb.depends_on).toEqual({ redis: { condition: "service_healthy" }, postgres: { condition: "service_healthy" } });
    expect(wb.healthcheck!.test).toEqual(["CMD", "writeback", "healthcheck"]);
    expect(wb.ports).toContain("127.0.0.1:8000:8000");
  });

  test("writeback's environment names only settings the binary reads", () => {
    const known = new Set(Object.keys(ConfigSchema.properties));
    for (const name of Object.keys(services.writeback!.environment!)) expect(known.has(name)).toBe(true);
    expect(services.writeback!.environment!.HOST).toBe("0.0.0.0");
  });

  test("Redis is run with persistence and an eviction policy the binary accepts", () => {
    const cmd = services.redis!.command!;
    const arg = (name: string) => cmd[cmd.indexOf(name) + 1];
    expect(arg("--appendonly")).toBe("yes");
    expect(arg("--maxmemory-policy")).toMatch(/^(noeviction|volatile-(lru|lfu|ttl|random))$/);
  });

  test("the test profile: `bun test` in the Dockerfile's test stage, once Redis, Postgres and MariaDB are healthy, pointed at them", () => {
    const t = services.test!;
    expect(t.profiles).toEqual(["test"]);
    expect(services.mariadb!.profiles).toEqual(["test"]);
    expect(services.mariadb!.healthcheck?.test.length).toBeGreaterThan(0);
    expect(t.build).toEqual({ context: ".", target: "test" });
    expect(read("Dockerfile")).toMatch(/^FROM oven\/bun:\S+ AS test$/m);
    expect(t.command).toEqual(["bun", "test"]);
    expect(t.volumes).toContain(".:/app");
    expect(t.depends_on).toEqual({
      redis: { condition: "service_healthy" },
      postgres: { condition: "service_healthy" },
      mariadb: { condition: "service_healthy" },
    });
    // Each TEST_*_URL names a compose service by its host name, at the port it listens on, with its credentials.
    const env = t.environment!;
    expect(Object.keys(env).filter((k) => k.startsWith("TEST_")).sort()).toEqual(["TEST_MYSQL_URL", "TEST_PG_URL", "TEST_REDIS_URL"]);
    const target = (name: string) => {
      const u = new URL(env[name]!);
      return { service: u.hostname, port: u.port, user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
    };
    expect(target("TEST_REDIS_URL")).toMatchObject({ service: "redis", port: "6379" });
    const pg = services.postgres!.environment!;
    expect(target("TEST_PG_URL")).toEqual({ service: "postgres", port: "5432", user: pg.POSTGRES_USER!, password: pg.POSTGRES_PASSWORD! });
    const maria = services.mariadb!.environment!;
    expect(maria.MARIADB_ALLOW_EMPTY_ROOT_PASSWORD).toBe("1");
    expect(target("TEST_MYSQL_URL")).toEqual({ service: "mariadb", port: "3306", user: "root", password: "" });
    expect(new URL(env.TEST_MYSQL_URL!).pathname).toBe(`/${maria.MARIADB_DATABASE}`);
    // The tests' defaults, for `bun test` on the host against these services' published ports.
    for (const name of ["redis", "postgres", "mariadb"]) expect(services[name]!.ports!.every((p) => p.startsWith("127.0.0.1:"))).toBe(true);
  });
});

describe("Dockerfile", () => {
  const file = read("Dockerfile");
  test("builds with the pinned Bun, frozen lockfile and the build script; runs only the binary as a non-root user", () => {
    const pinned = /BUN_VERSION=(\S+)/.exec(read(".ci/run"))![1];
    expect(file).toContain(`FROM oven/bun:${pinned} AS build`);
    expect(file).toContain("RUN bun install --frozen-lockfile");
    expect(file).toContain("RUN bun run build");
    expect(file).toMatch(/^FROM debian:\S+-slim$/m);
    expect(file).toContain("COPY --from=build /app/dist/writeback /usr/local/bin/writeback");
    expect(file).toMatch(/^USER writeback$/m);
    expect(file).toContain("EXPOSE 8000");
    expect(file).toContain('HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 CMD ["writeback", "healthcheck"]');
    expect(JSON.parse(read("package.json")).scripts.build).toContain("bun build --compile");
  });

  test.skipIf(!isRoot)("the binary runs from an empty directory as a non-root user; `writeback healthcheck` says 0 while it lives, 1 after (needs root to switch users; skipped otherwise)", async () => {
    const port = await freePort();
    const { path: binary, dir: workdir } = copy!;
    const asNobody = (args: string[]) => ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", binary, ...args];
    const env = { ...process.env, REDIS_URL: SHARED_REDIS_URL, DATABASE_URL: db!.url, KEY_PREFIX: prefix, HOST: "0.0.0.0", PORT: String(port), LOG_LEVEL: "warn" };
    const proc = Bun.spawn(asNobody([]), { cwd: workdir, env, stdout: "ignore", stderr: "pipe" });
    try {
      await waitFor("listening", async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status === 200);
      expect(Bun.spawnSync(asNobody(["healthcheck"]), { cwd: workdir, env }).exitCode).toBe(0);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
    const after = Bun.spawnSync(asNobody(["healthcheck"]), { cwd: workdir, env, stderr: "pipe" });
    expect(after.exitCode).toBe(1);
  });
});

describe("metrics, alerts and dashboard", () => {
  test("the standard process metrics and the build are exposed", () => {
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_start_time_seconds", "process_open_fds"]) {
      expect(metricsText).toMatch(new RegExp(`^${name} [0-9.e+]+$`, "m"));
    }
    expect(metricsText).toMatch(/^writeback_build_info\{version="[^"]+",bun="[^"]+"\} 1$/m);
  });

  test.skipIf(!has("promtool"))("the exposition is clean under promtool check metrics", () => {
    const r = Bun.spawnSync(["promtool", "check", "metrics"], { stdin: Buffer.from(metricsText), stdout: "pipe", stderr: "pipe" });
    expect(r.stdout.toString() + r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
  });

  test.skipIf(!has("promtool"))("the alert rules pass promtool check rules", () => {
    const r = Bun.spawnSync(["promtool", "check", "rules", join(root, "deploy/prometheus/alerts.yml")], { stdout: "pipe", stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
  });

  test("every alert uses only exposed metrics, says what to do, and links a runbook that exists", () => {
    const rules = (Bun.YAML.parse(read("deploy/prometheus/alerts.yml")) as { groups: { rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[] }).groups.flatMap((g) => g.rules);
    const names = exposed();
    const headings = new Set([...read("docs/failure-modes.md").matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-")));
    for (const alert of ["Persistence", "Backlog", "DeadLetters", "Restarts", "Backpressure", "RedisUnavailable", "NotReady"]) {
      expect(rules.some((r) => r.alert.includes(alert))).toBe(true);
    }
    for (const r of rules) {
      for (const m of metricNames(r.expr)) expect({ alert: r.alert, metric: m, exposed: names.has(m) }).toEqual({ alert: r.alert, metric: m, exposed: true });
      expect(r.annotations.summary).toBeTruthy();
      expect(r.annotations.description!.length).toBeGreaterThan(40);
      const anchor = /^docs\/failure-modes\.md#(.+)$/.exec(r.annotations.runbook_url!)?.[1];
      expect({ alert: r.alert, anchor, found: anchor !== undefined && headings.has(anchor) }).toEqual({ alert: r.alert, anchor, found: true });
    }
  });

  test("every metric the dashboard queries is exposed", () => {
    const dash = JSON.parse(read("deploy/grafana/writeback.json")) as { panels: { title: string; targets: { expr: string }[] }[] };
    const names = exposed();
    const titles = dash.panels.map((p) => p.title.toLowerCase()).join(" | ");
    for (const topic of ["writes by outcome", "latency", "persist lag", "backlog", "batch size", "dead letters", "cache hit"]) expect(titles).toContain(topic);
    for (const p of dash.panels) for (const t of p.targets) for (const m of metricNames(t.expr)) expect({ panel: p.title, metric: m, exposed: names.has(m) }).toEqual({ panel: p.title, metric: m, exposed: true });
  });
});
