// The main thread's side of the flusher threads: starts FLUSH_WORKERS of them, restarts one
// that fails or stops beating (with backoff, counted), adds up their metrics, and drains them
// on shutdown. There is no state in which the API is up and the flusher silently dead.
import type { Config } from "../config";
import { log } from "../log";
import { Registry, type Snapshot } from "../metrics";
import type { ThreadHealth } from "../thread-health";
import { FLUSHER_THREAD_URL } from "../thread-url";
import { backoffMs } from "./backoff";
import type { FromThread, ToThread } from "./messages";
import { PROCESS_ID } from "./open";

interface Slot {
  worker?: Worker;
  lastBeat: number;
  /** when the batch the thread is on was first tried; 0 when it is on none */
  busySince: number;
  lastError: string;
  metrics?: Snapshot;
  failures: number;
  stopped: boolean;
}

export class FlusherPool {
  private slots: Slot[] = [];
  private retired = new Registry(); // metrics of threads that were replaced
  private restarts = 0;
  private stopping = false;
  private watchdog?: ReturnType<typeof setInterval>;
  /** a thread that has not finished a loop turn for this long is considered stuck */
  readonly staleMs: number;

  constructor(
    private config: Config,
    /** called when a thread reports a setting that can never work; the process should stop */
    private onFatal: (message: string) => void = () => {},
    /** called with what a thread committed of the watched keys */
    private onCommitted: (keys: string[], versions: number[]) => void = () => {},
  ) {
    this.staleMs = Math.max(30_000, 3 * config.DB_STATEMENT_TIMEOUT_MS, 3 * config.FLUSH_BLOCK_MS);
  }

  start(): void {
    for (let i = 0; i < this.config.FLUSH_WORKERS; i++) {
      this.slots.push({ lastBeat: Date.now(), busySince: 0, lastError: "", failures: 0, stopped: false });
      this.spawn(i);
    }
    this.watchdog = setInterval(() => this.checkStale(), 1000);
    this.watchdog.unref?.();
  }

  private spawn(index: number): void {
    const slot = this.slots[index]!;
    const worker = new Worker(FLUSHER_THREAD_URL);
    slot.worker = worker;
    slot.lastBeat = Date.now();
    slot.busySince = 0;
    slot.stopped = false;
    worker.onmessage = (event: MessageEvent<FromThread>) => {
      const msg = event.data;
      if (msg.type === "committed") return this.onCommitted(msg.keys, msg.versions);
      if (msg.type === "fatal") {
        slot.stopped = true;
        this.onFatal(msg.message);
        return;
      }
      slot.metrics = msg.metrics;
      if (msg.type === "beat") {
        if (msg.lastBeat > slot.lastBeat) slot.failures = 0;
        slot.lastBeat = Math.max(slot.lastBeat, msg.lastBeat);
        slot.busySince = msg.busySince;
        slot.lastError = msg.lastError;
      } else slot.stopped = true;
    };
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      log.error("flusher thread failed", { thread: index, err: (event as ErrorEvent).message });
      this.replace(index, worker);
    });
    worker.addEventListener("close", () => {
      if (!slot.stopped) this.replace(index, worker);
    });
    worker.postMessage({ type: "start", config: this.config, index, processId: PROCESS_ID } satisfies ToThread);
    if (this.watched.size > 0) worker.postMessage({ type: "watch", add: [...this.watched], remove: [] } satisfies ToThread);
  }

  /** Retires a failed thread and starts another in its slot after a backoff. */
  private replace(index: number, failed: Worker): void {
    const slot = this.slots[index]!;
    if (slot.worker !== failed || this.stopping) return;
    slot.worker = undefined;
    if (slot.metrics) this.retired.add(slot.metrics);
    slot.metrics = undefined;
    failed.terminate();
    this.restarts++;
    const delay = backoffMs(slot.failures++, this.config.FLUSH_RETRY_MAX_MS, 100);
    log.warn("restarting flusher thread", { thread: index, inMs: delay, restarts: this.restarts });
    setTimeout(() => {
      if (!this.stopping) this.spawn(index);
    }, delay);
  }

  private checkStale(): void {
    this.slots.forEach((slot, index) => {
      if (slot.worker && Date.now() - slot.lastBeat > this.staleMs) {
        log.error("flusher thread is stuck; replacing it", { thread: index, lastBeatAgoMs: Date.now() - slot.lastBeat });
        this.replace(index, slot.worker);
      }
    });
  }

  private watched = new Set<string>();

  /** Keys requests start or stop waiting on: every thread reports its commits of the watched ones. */
  watch(add: string[], remove: string[]): void {
    for (const k of remove) this.watched.delete(k);
    for (const k of add) this.watched.add(k);
    for (const s of this.slots) s.worker?.postMessage({ type: "watch", add, remove } satisfies ToThread);
  }

  health(): ThreadHealth[] {
    const now = Date.now();
    return this.slots.map((s, index) => {
      const batchAgeMs = s.busySince ? now - s.busySince : 0;
      return {
        index,
        alive: !!s.worker && now - s.lastBeat <= this.staleMs,
        lastBeatAgoMs: now - s.lastBeat,
        stuck: batchAgeMs > this.config.FLUSH_STUCK_MS,
        batchAgeMs,
        ...(s.lastError ? { lastError: s.lastError } : {}),
      };
    });
  }

  /** Every thread's counters, plus those of replaced threads, plus restarts. */
  collect(into: Registry): void {
    into.add(this.retired.snapshot());
    for (const s of this.slots) if (s.metrics) into.add(s.metrics);
    into.set("writeback_worker_restarts_total", this.restarts);
  }

  /** Lets every thread drain for up to `graceMs`, then ends them all. */
  async drain(graceMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.watchdog);
    for (const s of this.slots) s.worker?.postMessage({ type: "drain", graceMs } satisfies ToThread);
    const deadline = Date.now() + graceMs + 2000;
    while (Date.now() < deadline && this.slots.some((s) => s.worker && !s.stopped)) await Bun.sleep(20);
    for (const s of this.slots) s.worker?.terminate();
  }
}
