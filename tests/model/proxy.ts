// A TCP proxy in front of the model check's database: `cut()` drops every connection and
// refuses new ones until `restore()` (as tests/helpers/proxy.ts), and `slow()` holds back the
// database's answers on the connections of one role: a connection is a writer once its client
// sent the flusher's upsert (`INSERT INTO writeback_kv`), a reader until then (the request
// pool's reads, the waiters' version checks). Every answer chunk on a slowed connection is
// delivered only after `ms`/2..`ms` (later chunks wait behind it, in order). Slow reads next to
// fast flushes are what open the window of a read-through or an increment reading the
// database while newer writes are persisted and expire; slow writes make the database lag.
// The delays come from the caller's seeded random source.
import type { Socket, TCPSocketListener } from "bun";

interface Pair {
  client: Socket<Pair>;
  upstream?: Socket<Pair>;
  pending: Uint8Array[];
  toClient: Uint8Array[];
  toUpstream: Uint8Array[];
  /** answers held back: delivered in order, each not before its time */
  held: { at: number; chunk: Uint8Array }[];
  writer: boolean;
  /** the client sent its first query (Parse or Query message): connecting and authenticating are never slowed */
  querying: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

function send(socket: Socket<Pair>, queue: Uint8Array[], chunk?: Uint8Array): void {
  if (chunk) queue.push(chunk);
  while (queue.length > 0) {
    const head = queue[0]!;
    const n = socket.write(head);
    if (n >= head.length) queue.shift();
    else {
      if (n > 0) queue[0] = head.subarray(n);
      return; // full: drain() continues
    }
  }
}

export type SlowTarget = "none" | "reads" | "writes" | "all";
const UPSERT = Buffer.from("INSERT INTO writeback_kv");

export class StallingProxy {
  private server?: TCPSocketListener<Pair>;
  private pairs = new Set<Pair>();
  private down = false;
  private target: SlowTarget = "none";
  private ms = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    private readonly random: () => number,
  ) {}

  get port(): number {
    return this.server!.port;
  }

  /** From now on the answers on `target`'s connections are held back `ms`/2..`ms`. */
  slow(target: SlowTarget, ms: number): void {
    this.target = target;
    this.ms = ms;
  }

  private slowed(pair: Pair): boolean {
    if (!pair.querying) return false;
    return this.target === "all" || (this.target === "reads" && !pair.writer) || (this.target === "writes" && pair.writer);
  }

  private toClient(pair: Pair, chunk: Uint8Array): void {
    const now = performance.now();
    const delay = this.slowed(pair) ? this.ms * (0.5 + this.random() / 2) : 0;
    const last = pair.held.at(-1)?.at ?? 0;
    if (delay === 0 && pair.held.length === 0) return send(pair.client, pair.toClient, chunk);
    pair.held.push({ at: Math.max(now + delay, last), chunk });
    this.schedule(pair);
  }

  private schedule(pair: Pair): void {
    if (pair.timer || pair.held.length === 0) return;
    pair.timer = setTimeout(() => {
      pair.timer = undefined;
      const now = performance.now();
      while (pair.held.length > 0 && pair.held[0]!.at <= now) send(pair.client, pair.toClient, pair.held.shift()!.chunk);
      this.schedule(pair);
    }, Math.max(0, pair.held[0]!.at - performance.now()));
  }

  start(): this {
    const self = this;
    this.server = Bun.listen<Pair>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(client) {
          if (self.down) return void client.end();
          const pair: Pair = { client, pending: [], toClient: [], toUpstream: [], held: [], writer: false, querying: false };
          client.data = pair;
          self.pairs.add(pair);
          Bun.connect<Pair>({
            hostname: self.targetHost,
            port: self.targetPort,
            socket: {
              open(up) {
                up.data = pair;
                pair.upstream = up;
                for (const chunk of pair.pending) send(up, pair.toUpstream, chunk);
                pair.pending = [];
              },
              data(up, chunk) {
                self.toClient(up.data, new Uint8Array(chunk));
              },
              drain(up) {
                send(up, up.data.toUpstream);
              },
              close(up) {
                // Answers still held back go out before the close, as a slow network delivers them.
                const p = up.data;
                const end = () => (p.held.length || p.timer ? setTimeout(end, 5) : p.client.end());
                end();
              },
              error(up) {
                up.data.client.end();
              },
            },
          }).catch(() => client.end());
        },
        data(client, chunk) {
          const pair = client.data;
          if (!pair.querying && (chunk[0] === 0x50 || chunk[0] === 0x51)) pair.querying = true; // 'P' Parse, 'Q' Query
          if (!pair.writer && Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).includes(UPSERT)) pair.writer = true;
          if (pair.upstream) send(pair.upstream, pair.toUpstream, new Uint8Array(chunk));
          else pair.pending.push(new Uint8Array(chunk));
        },
        drain(client) {
          send(client, client.data.toClient);
        },
        close(client) {
          const pair = client.data;
          if (!pair) return;
          pair.upstream?.end();
          clearTimeout(pair.timer);
          pair.held = [];
          self.pairs.delete(pair);
        },
      },
    });
    return this;
  }

  /** Drops every connection at once (held answers with them) and refuses new ones. */
  cut(): void {
    this.down = true;
    for (const p of this.pairs) {
      clearTimeout(p.timer);
      p.timer = undefined;
      p.held = [];
      p.client.terminate();
      p.upstream?.terminate();
    }
    this.pairs.clear();
  }

  restore(): void {
    this.down = false;
  }

  stop(): void {
    this.cut();
    this.server?.stop(true);
  }
}
