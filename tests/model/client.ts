// One client's requests, as a user of the HTTP API sends them, recorded into the history:
// what was asked, when, and what came back (status, error code, versions, values). The
// transport error's code stands for a lost answer (ECONNREFUSED, ECONNRESET, TimeoutError).
import type { Item, Op } from "./history";

/** Longer than any answer should take (a wait is at most 2 s): past it the answer counts as lost. */
const REQUEST_TIMEOUT_MS = 15_000;

type Json = Record<string, unknown>;

function request(op: Op): { path: string; init: RequestInit } {
  const post = (path: string, body: Json) => {
    const wait = op.waitMs !== undefined ? `?wait=persisted&timeout_ms=${op.waitMs}` : "";
    return { path: path + wait, init: { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) } };
  };
  const [key] = op.keys;
  switch (op.kind) {
    case "set":
      return post("/set", { key, value: op.values![0] });
    case "del":
      return post("/del", { key });
    case "incr":
      return post("/incr", { key, by: op.by });
    case "mset":
      return post("/mset", { items: op.keys.map((k, i) => ({ key: k, value: op.values![i] })) });
    case "mdel":
      return post("/mdel", { keys: op.keys });
    case "mget":
      return { path: "/mget", init: { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ keys: op.keys, source: op.source }) } };
    case "get":
      return { path: `/get/${encodeURIComponent(key!)}?source=${op.source}`, init: {} };
    case "status":
      return { path: `/status/${encodeURIComponent(key!)}`, init: {} };
    case "fault":
      throw new Error("a fault is not a request");
  }
}

function items(op: Op, body: Json): Item[] {
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  switch (op.kind) {
    case "set":
    case "del":
      return [{ key: op.keys[0]!, version: num(body.version) }];
    case "incr":
      return [{ key: op.keys[0]!, version: num(body.version), value: str(body.value) }];
    case "mset":
    case "mdel":
      return ((body.items as Json[]) ?? []).map((it) => ({ key: String(it.key), version: num(it.version) }));
    case "get":
      return [{ key: op.keys[0]!, found: true, value: str(body.value), version: num(body.version), from: body.source as Item["from"] }];
    case "mget":
      return ((body.items as Json[]) ?? []).map((it) =>
        it.found === false
          ? { key: String(it.key), found: false }
          : { key: String(it.key), found: true, value: str(it.value), version: num(it.version), from: it.source as Item["from"] },
      );
    case "status":
      return [
        { key: op.keys[0]!, found: true, version: num(body.version), persistedVersion: body.persistedVersion as number | null, redisOnly: body.database === "unavailable" },
      ];
    case "fault":
      return [];
  }
}

/** Sends `op` to the service at `base` and records the answer into it (status, items, end). */
export async function perform(base: string, op: Op, now: () => number): Promise<void> {
  const { path, init } = request(op);
  try {
    const r = await fetch(base + path, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await r.text();
    op.end = now();
    op.status = r.status;
    let body: Json = {};
    try {
      body = JSON.parse(text) as Json;
    } catch {
      op.code = `not JSON: ${text.slice(0, 80)}`;
    }
    const error = body.error as { code?: string } | undefined;
    if (error?.code) op.code = error.code;
    if (r.status === 200 || r.status === 202) {
      op.items = items(op, body);
      if (typeof body.persisted === "boolean") op.persisted = body.persisted;
    }
  } catch (err) {
    op.end = now();
    const e = err as { code?: string; name?: string };
    op.code = e.name === "TimeoutError" ? "TimeoutError" : String(e.code ?? e.name ?? err);
  }
}
