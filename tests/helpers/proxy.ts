// A TCP proxy the test controls: `cut()` drops every connection and refuses new ones until
// `restore()`; `retarget()` sends new connections elsewhere (a failover); `intercept` answers
// a chosen request itself and closes the connection (a server dying at that very request). Used to take
// Postgres or Redis away from writeback without touching the shared servers.
import type { Socket, TCPSocketListener } from "bun";

interface Pair {
  client: Socket<Pair>;
  upstream?: Socket<Pair>;
  /** bytes from the client before the upstream connection opened */
  pending: Uint8Array[];
  /** bytes each side's socket did not take yet (a write may be partial): sent on drain, in order */
  toClient: Uint8Array[];
  toUpstream: Uint8Array[];
  /** the client side closed: an upstream that opens after it is closed at once */
  closed?: boolean;
}

/** Writes what `queue` holds, then `chunk`, as far as the socket takes them; keeps the rest queued. */
function send(socket: Socket<Pair>, queue: Uint8Array[], chunk?: Uint8Array): void {
  if (chunk) queue.push(chunk);
  while (queue.length > 0) {
    const head = queue[0]!;
    const n = socket.write(head);
    if (n >= head.length) queue.shift();
    else {
      if (n > 0) queue[0] = head.subarray(n);
      return; // the socket is full: drain() continues
    }
  }
}

export class TcpProxy {
  private server?: TCPSocketListener<Pair>;
  private pairs = new Set<Pair>();
  private down = false;
  /** Looks at what a client sends: bytes returned are answered instead, and the connection closed. */
  intercept?: (chunk: Uint8Array) => Uint8Array | undefined;

  constructor(
    private targetHost: string,
    private targetPort: number,
  ) {}

  get port(): number {
    return this.server!.port;
  }

  start(): this {
    const self = this;
    this.server = Bun.listen<Pair>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(client) {
          if (self.down) return void client.end();
          const pair: Pair = { client, pending: [], toClient: [], toUpstream: [] };
          client.data = pair;
          self.pairs.add(pair);
          Bun.connect<Pair>({
            hostname: self.targetHost,
            port: self.targetPort,
            socket: {
              open(up) {
                up.data = pair;
                pair.upstream = up;
                // Cut while connecting: left open, it would hold a server connection (a Postgres
                // backend) for as long as the proxy runs.
                if (pair.closed) return void up.terminate();
                for (const chunk of pair.pending) send(up, pair.toUpstream, chunk);
                pair.pending = [];
              },
              data(up, chunk) {
                send(up.data.client, up.data.toClient, new Uint8Array(chunk));
              },
              drain(up) {
                send(up, up.data.toUpstream);
              },
              close(up) {
                up.data.client.end();
              },
              error(up) {
                up.data.client.end();
              },
            },
          }).catch(() => client.end());
        },
        data(client, chunk) {
          const pair = client.data;
          const answer = self.intercept?.(new Uint8Array(chunk));
          if (answer) {
            // The server's last words on this connection, then it closes (a backend terminated).
            client.write(answer);
            client.end();
            pair.upstream?.end();
            return;
          }
          if (pair.upstream) send(pair.upstream, pair.toUpstream, new Uint8Array(chunk));
          else pair.pending.push(new Uint8Array(chunk));
        },
        drain(client) {
          send(client, client.data.toClient);
        },
        close(client) {
          if (client.data) client.data.closed = true;
          client.data?.upstream?.end();
          if (client.data) self.pairs.delete(client.data);
        },
      },
    });
    return this;
  }

  /** Drops every connection at once and refuses new ones. */
  cut(): void {
    this.down = true;
    for (const p of this.pairs) {
      p.closed = true;
      p.client.terminate();
      p.upstream?.terminate();
    }
    this.pairs.clear();
  }

  restore(): void {
    this.down = false;
  }

  /** Sends new connections to another server from now on (a failover), dropping the current ones. */
  retarget(host: string, port: number): void {
    this.cut();
    this.targetHost = host;
    this.targetPort = port;
    this.restore();
  }

  stop(): void {
    this.cut();
    this.server?.stop(true);
  }
}

/** A started proxy in front of the server a database URL names, and that URL through it. */
export function proxied(url: string, defaultPort: number): { proxy: TcpProxy; url: string } {
  const through = new URL(url);
  const proxy = new TcpProxy(through.hostname, Number(through.port || defaultPort)).start();
  through.port = String(proxy.port);
  return { proxy, url: through.toString() };
}
