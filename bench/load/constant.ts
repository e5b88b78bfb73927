// Open-loop load: POST /set at a fixed arrival rate, whatever the server's speed, like wrk2.
// Request i is due at start + i/rate. A request that had to wait for a free connection is
// timed from its due time, so a stalled server shows up in the tail instead of silently
// slowing the generator (coordinated omission); one sent at once is timed from the send, so
// the generator's own timer granularity (about 1 ms) is not charged to the server.
//
// Usage: bun bench/load/constant.ts '{"port":8000,"rate":5000,"seconds":10,"connections":64,"runId":"x"}'
// Prints one JSON line with the achieved rate and latency percentiles (ms).
import { percentile } from "../lib/stats";

interface Options {
  host?: string;
  port: number;
  rate: number;
  seconds: number;
  connections: number;
  runId: string;
  keyspace?: number;
  /** the request target, "/set" unless given (e.g. "/set?wait=persisted") */
  path?: string;
}

const o: Options = JSON.parse(process.argv[2] ?? "{}");
const host = o.host ?? "127.0.0.1";
const total = Math.round(o.rate * o.seconds);
const interval = 1000 / o.rate;
const value = "x".repeat(32);
const path = o.path ?? "/set";
const latencies = new Float64Array(total);
let completed = 0;
let ok = 0;
let non2xx = 0;
let errors = 0;

function request(i: number): string {
  const key = o.keyspace ? `hot:${i % o.keyspace}` : `${o.runId}:${i}`;
  const body = `{"key":"${key}","value":"${value}"}`;
  return `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
}

interface Conn {
  socket: Bun.Socket<undefined>;
  buf: string;
  due: number; // when the request in flight started counting, -1 when idle
  closed?: boolean;
}

const idle: Conn[] = [];
const waiting: number[] = []; // indexes of due requests with no free connection
let waitHead = 0;
let start = 0;

function send(c: Conn, i: number, queued: boolean): void {
  c.due = queued ? start + i * interval : performance.now();
  c.socket.write(request(i));
}

function onResponse(c: Conn, status: number): void {
  latencies[completed++] = performance.now() - c.due;
  if (status >= 200 && status < 300) ok++;
  else non2xx++;
  if (waitHead < waiting.length) send(c, waiting[waitHead++]!, true);
  else {
    c.due = -1;
    idle.push(c);
  }
}

/**
 * A keep-alive connection. The server closes one left idle for its idle timeout (Bun's is
 * 30 s): a closed connection leaves the pool and a new one takes its place, or a request
 * written to it would never be answered and the run would wait for it in vain.
 */
async function open(): Promise<Conn> {
  const c = { buf: "", due: -1 } as Conn;
  c.socket = await Bun.connect({
    hostname: host,
    port: o.port,
    socket: {
      data(_s, chunk) {
        c.buf += chunk.toString("latin1");
        for (;;) {
          const headEnd = c.buf.indexOf("\r\n\r\n");
          if (headEnd < 0) return;
          const length = Number(/content-length: *(\d+)/i.exec(c.buf.slice(0, headEnd))?.[1] ?? 0);
          if (c.buf.length < headEnd + 4 + length) return;
          const status = Number(c.buf.slice(9, 12));
          c.buf = c.buf.slice(headEnd + 4 + length);
          onResponse(c, status);
        }
      },
      close() {
        if (c.closed) return;
        c.closed = true;
        const at = idle.indexOf(c);
        if (at >= 0) idle.splice(at, 1);
        if (c.due >= 0) errors++;
        conns.splice(conns.indexOf(c), 1);
        if (!finished) void open().then((n) => {
          conns.push(n);
          if (waitHead < waiting.length) send(n, waiting[waitHead++]!, true);
          else idle.push(n);
        }, () => {});
      },
      error() {
        // close() follows and accounts for it
      },
    },
  });
  return c;
}

let finished = false;
const conns: Conn[] = await Promise.all(Array.from({ length: o.connections }, () => open()));
idle.push(...conns);

start = performance.now();
let next = 0;
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = performance.now();
    while (next < total && start + next * interval <= now) {
      const c = idle.pop();
      if (c) send(c, next, false);
      else waiting.push(next);
      next++;
    }
    if (next < total) setTimeout(tick, 1);
    else resolve();
  };
  tick();
});
const scheduleEnd = performance.now();
const deadline = scheduleEnd + 10_000;
while (completed + errors < total && performance.now() < deadline) await Bun.sleep(5);
const elapsed = (performance.now() - start) / 1000;
finished = true;
for (const c of conns) c.socket.end();

const sorted = latencies.subarray(0, completed).sort();
// How many took longer than each bound (ms): the bounds of the server's writeback_write_seconds
// histogram, so the client's tail can be set against the server's own time.
const TAIL_BOUNDS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000];
const over = TAIL_BOUNDS_MS.map((b) => {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= b) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length - lo;
});
console.log(
  JSON.stringify({
    target: o.rate,
    sent: total,
    completed,
    ok,
    non2xx,
    errors,
    achieved: completed / elapsed,
    behindMs: scheduleEnd - (start + (total - 1) * interval),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted[sorted.length - 1] ?? NaN,
    tail: { boundsMs: TAIL_BOUNDS_MS, over },
  }),
);
process.exit(0);
