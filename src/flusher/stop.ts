// How a flusher stops: on drain() it stops waiting for new writes (`stopping`), finishes what
// its partitions hold, and at the drain's deadline abandons whatever step is still running
// (`expired`): nothing that step did is committed, and whatever it may still finish is replayed
// harmlessly by the partition's next owner. Both are AbortSignals, so every wait (backoff,
// linger, a step in flight) ends on them without a hand-made registry of timers.

/** The drain's deadline passed: the step in flight is abandoned. */
export class DrainExpired extends Error {
  constructor() {
    super("the drain's deadline passed");
  }
}

export class Stop {
  private stopper = new AbortController();
  private expirer = new AbortController();
  private timer?: ReturnType<typeof setTimeout>;
  private deadline = Infinity;

  /** aborted when a drain starts: waits for new writes end */
  get stopping(): AbortSignal {
    return this.stopper.signal;
  }

  /** aborted at the drain's deadline: the step in flight is abandoned */
  get expired(): AbortSignal {
    return this.expirer.signal;
  }

  /**
   * Starts the drain: finish within `graceMs` (undefined: no deadline, for the one-stream
   * upgrade's drain). A later call can only bring the deadline closer.
   */
  drain(graceMs?: number): void {
    this.stopper.abort();
    if (graceMs === undefined || Date.now() + graceMs >= this.deadline) return;
    clearTimeout(this.timer);
    this.deadline = Date.now() + graceMs;
    this.timer = setTimeout(() => this.expirer.abort(new DrainExpired()), graceMs);
    this.timer.unref?.();
  }

  /** ms left until the drain's deadline (Infinity when not draining) */
  get leftMs(): number {
    return this.deadline - Date.now();
  }

  get outOfTime(): boolean {
    return this.expirer.signal.aborted;
  }

  /** Waits `ms`, or less: until a drain starts (if none has), and never past the drain's deadline. */
  wait(ms: number): Promise<void> {
    return this.stopping.aborted ? pause(ms, this.expired) : pause(ms, this.stopping, this.expired);
  }

  /** Stops the deadline's timer once the flusher has stopped. */
  dispose(): void {
    clearTimeout(this.timer);
  }
}

/**
 * `work`, or a rejection with the signal's reason once it aborts. The listener goes away when
 * `work` settles: a long-lived signal must not keep every step's result alive.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {}); // abandoned: its outcome is nobody's
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** Waits `ms`, or less: until any of `signals` aborts. */
export function pause(ms: number, ...signals: AbortSignal[]): Promise<void> {
  if (ms <= 0 || signals.some((s) => s.aborted)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of signals) s.addEventListener("abort", done, { once: true });
  });
}
