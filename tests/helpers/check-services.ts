// The services the test suite needs, checked once before it runs (tests/helpers/preload.ts):
// each reachable within a few seconds, or named with the variable that points at it.
import postgres from "postgres";
import Redis from "ioredis";
import { MYSQL_ADMIN_URL, PG_ADMIN_URL, SHARED_REDIS_URL } from "../../src/testing/services";

const TIMEOUT_MS = 4000;

/** The URL without its password, for a message. */
function shown(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

async function redisUp(): Promise<void> {
  const r = new Redis(SHARED_REDIS_URL, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: TIMEOUT_MS });
  let refused: unknown;
  r.on("error", (err) => (refused = err));
  try {
    await r.connect().catch((err) => {
      throw refused ?? err; // the socket's error (ECONNREFUSED), rather than "Connection is closed."
    });
    await r.ping();
  } finally {
    r.disconnect();
  }
}

async function postgresUp(): Promise<void> {
  const sql = postgres(PG_ADMIN_URL, { max: 1, connect_timeout: TIMEOUT_MS / 1000, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

async function mysqlUp(): Promise<void> {
  const sql = new Bun.SQL(MYSQL_ADMIN_URL, { max: 1, connectionTimeout: TIMEOUT_MS / 1000 });
  try {
    await sql`SELECT 1`;
  } finally {
    await sql.close({ timeout: 1 }).catch(() => {});
  }
}

const HOW =
  "Start them with `bash .ci/run` (root, Debian/Ubuntu: installs and starts everything, then runs the suite),\n" +
  "or run the suite in containers: `docker compose --profile test run --rm test`,\n" +
  "or point TEST_REDIS_URL, TEST_PG_URL and TEST_MYSQL_URL at servers of yours (see CONTRIBUTING.md).";

/** One line per service that is not there (empty: all are), then how to get them. */
export async function checkServices(): Promise<string[]> {
  const checks = [
    { what: "Redis", url: SHARED_REDIS_URL, variable: "TEST_REDIS_URL", up: redisUp },
    { what: "Postgres", url: PG_ADMIN_URL, variable: "TEST_PG_URL", up: postgresUp },
    { what: "MySQL/MariaDB", url: MYSQL_ADMIN_URL, variable: "TEST_MYSQL_URL", up: mysqlUp },
  ];
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        await within(TIMEOUT_MS + 1000, c.up());
        return undefined;
      } catch (err) {
        const why = (err as { code?: string }).code ?? (err as Error).message ?? String(err);
        return `${c.what} is not reachable at ${shown(c.url)} (${why}); set ${c.variable} to point at one.`;
      }
    }),
  );
  const missing = results.filter((m): m is string => m !== undefined);
  // The fault tests start redis-server processes of their own.
  if (Bun.which("redis-server") === null) missing.push("redis-server is not on PATH: the fault tests start Redis servers of their own (apt-get install redis-server).");
  return missing.length > 0 ? ["The test suite cannot run:", ...missing.map((m) => `  - ${m}`), HOW] : [];
}
