// A TCP proxy the test controls: `cut()` drops every connection and refuses new ones until
// `restore()`. Used to take Postgres away from writeback without touching the shared server.
import type { Socket, TCPSocketListener } from "bun";

interface Pair {
  client: Socket<Pair>;
  upstream?: Socket<Pair>;
  pending: Uint8Array[];
}

export class TcpProxy {
  private server?: TCPSocketListener<Pair>;
  private pairs = new Set<Pair>();
  private down = false;

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
          const pair: Pair = { client, pending: [] };
          client.data = pair;
          self.pairs.add(pair);
          Bun.connect<Pair>({
            hostname: self.targetHost,
            port: self.targetPort,
            socket: {
              open(up) {
                up.data = pair;
                pair.upstream = up;
                for (const chunk of pair.pending) up.write(chunk);
                pair.pending = [];
              },
              data(up, chunk) {
                up.data.client.write(chunk);
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
          if (pair.upstream) pair.upstream.write(chunk);
          else pair.pending.push(new Uint8Array(chunk));
        },
        close(client) {
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
