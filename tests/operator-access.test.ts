// Operator routes without ADMIN_TOKEN answer only requests made on this host, to this host
// (issue 23, item 10): a loopback peer is not enough. A page an operator's browser opened on
// evil.example, whose name was re-bound to 127.0.0.1 (DNS rebinding), reaches the port from
// loopback but sends `Host: evil.example`; a reverse proxy on the same host reaches it from
// loopback for anyone, and says so with Forwarded / X-Forwarded-For. Requests go over a real
// socket, byte for byte, so the Host header is exactly what the test writes.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { connect as tcp } from "node:net";
import { loadConfig } from "../src/config";
import { configKeys } from "../src/keys";
import { start, type Service } from "../src/start";
import { connect, waitReady, type WritebackRedis } from "../src/cache/redis";
import { SHARED_REDIS_URL, createDatabase, dropPrefix, testPrefix } from "../src/testing/services";

setDefaultTimeout(60_000);

let db: { url: string; drop: () => Promise<void> };
let redis: WritebackRedis;
const services: { service: Service; prefix: string }[] = [];

beforeAll(async () => {
  db = await createDatabase();
  redis = connect(SHARED_REDIS_URL, "api", 2000);
  await waitReady(redis, 5000);
});
afterAll(async () => {
  for (const { service, prefix } of services) {
    await service.stop();
    await dropPrefix(prefix);
  }
  redis.disconnect();
  await db.drop();
});

/** writeback in this process, listening on a free loopback port, with a dead letter holding "secret value". */
async function serve(env: Record<string, string> = {}): Promise<{ port: number; letter: () => Promise<number> }> {
  const prefix = testPrefix();
  const config = loadConfig({
    REDIS_URL: SHARED_REDIS_URL,
    DATABASE_URL: db.url,
    KEY_PREFIX: prefix,
    STREAM_PARTITIONS: "1",
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "error",
    ...env,
  });
  const service = await start(config, { threads: false });
  services.push({ service, prefix });
  const k = configKeys(config);
  await redis.xadd(k.dead(0), "*", "k", "pii", "v", "secret value", "ver", String(Date.now() * 1000), "reason", "test");
  return { port: service.app.server!.port!, letter: () => redis.xlen(k.dead(0)) };
}

/** One HTTP/1.1 request written as is; resolves with the status and the body. */
function raw(port: number, lines: string[], body = ""): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = tcp({ host: "127.0.0.1", port }, () => {
      const head = [...lines, "Connection: close", ...(body ? [`Content-Length: ${Buffer.byteLength(body)}`] : []), "", ""].join("\r\n");
      socket.write(head + body); // not end(): a half-closed client gets no answer
    });
    let data = "";
    socket.on("data", (d) => (data += d.toString()));
    socket.on("error", reject);
    socket.on("end", () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1]);
      resolve({ status, body: data.slice(data.indexOf("\r\n\r\n") + 4) });
    });
  });
}

const get = (port: number, path: string, headers: string[]) => raw(port, [`GET ${path} HTTP/1.1`, ...headers]);
const redrive = (port: number, headers: string[]) =>
  raw(port, ["POST /dead-letters/redrive HTTP/1.1", "Content-Type: application/json", ...headers], JSON.stringify({ all: true }));

describe("operator routes without ADMIN_TOKEN", () => {
  test("a Host that is not loopback is refused with 403: no dead letter's value, no redrive", async () => {
    const { port, letter } = await serve({ METRICS_AUTH: "admin" });
    for (const host of ["evil.example", `evil.example:${port}`, "127.0.0.1.evil.example", "localhost.evil.example", "10.0.0.1", "[::2]"]) {
      for (const path of ["/ui/data", "/dead-letters", "/metrics"]) {
        const r = await get(port, path, [`Host: ${host}`]);
        expect([host, path, r.status]).toEqual([host, path, 403]);
        expect(r.body).toContain("FORBIDDEN");
        expect(r.body).not.toContain("secret value");
      }
      expect((await redrive(port, [`Host: ${host}`])).status).toBe(403);
    }
    expect(await letter()).toBe(1);
  });

  test("requests a proxy forwarded (Forwarded, X-Forwarded-For) are refused with 403, whatever their Host", async () => {
    const { port, letter } = await serve();
    for (const header of ["Forwarded: for=203.0.113.7", "X-Forwarded-For: 203.0.113.7", "X-Forwarded-For: 127.0.0.1"]) {
      const r = await get(port, "/ui/data", [`Host: 127.0.0.1:${port}`, header]);
      expect([header, r.status]).toEqual([header, 403]);
      expect(r.body).not.toContain("secret value");
      expect((await redrive(port, [`Host: 127.0.0.1:${port}`, header])).status).toBe(403);
    }
    expect(await letter()).toBe(1);
  });

  test("loopback Hosts, with any port or none, are answered (the status page is opened from localhost)", async () => {
    const { port } = await serve();
    for (const host of [`localhost:${port}`, "localhost", `127.0.0.1:${port}`, "127.0.0.1", `[::1]:${port}`, "[::1]", `LOCALHOST:${port}`]) {
      const r = await get(port, "/ui/data", [`Host: ${host}`]);
      expect([host, r.status]).toEqual([host, 200]);
      expect(r.body).toContain("secret value");
    }
    const page = await get(port, "/ui", [`Host: localhost:${port}`]);
    expect(page.status).toBe(200);
  });
});

describe("operator routes with ADMIN_TOKEN", () => {
  test("the token is what counts: a proxied request with another Host is answered with it, refused without", async () => {
    const { port } = await serve({ ADMIN_TOKEN: "s3cret-admin" });
    const proxied = ["Host: writeback.internal.example", "X-Forwarded-For: 203.0.113.7"];
    expect((await get(port, "/dead-letters", proxied)).status).toBe(401);
    const r = await get(port, "/dead-letters", [...proxied, "Authorization: Bearer s3cret-admin"]);
    expect(r.status).toBe(200);
    expect(r.body).toContain("secret value");
  });
});
