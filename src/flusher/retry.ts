// Retrying a flush step: a transient failure (the database or Redis away, a deadline) is
// retried with capped, jittered backoff until it succeeds; the only way out without success is
// the drain's deadline (undefined), or an error no retry can fix (FatalError, thrown on).
import { FatalError } from "../fatal";
import { errorFields, log } from "../log";
import { backoffMs } from "./backoff";
import { DrainExpired, abortable, type Stop } from "./stop";

export interface RetryHooks {
  stop: Stop;
  /** cap of the backoff (FLUSH_RETRY_MAX_MS) */
  maxBackoffMs: number;
  /** each failed attempt, before its backoff: count it, report it, reset what needs resetting */
  failed(step: string, attempt: number, err: unknown): void;
}

/** Runs `work` until it succeeds; undefined when the drain's deadline passes first. */
export async function retrying<T>(step: string, work: () => Promise<T>, h: RetryHooks): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      // A step still running at the drain's deadline (a driver waiting to reconnect, a query
      // on a silent connection) is abandoned: nothing it did is committed.
      return await abortable(work(), h.stop.expired);
    } catch (err) {
      if (err instanceof DrainExpired) return undefined;
      if (err instanceof FatalError) throw err;
      h.failed(step, attempt, err);
      if (h.stop.outOfTime) return undefined;
      await h.stop.wait(backoffMs(attempt, h.maxBackoffMs));
      if (h.stop.outOfTime) return undefined;
    }
  }
}

/** What a flusher does on each failed attempt: count, remember for /health, log (the store replaces a connection that failed itself). */
export function describeFailure(step: string, err: unknown): string {
  return `${step}: ${(err as { code?: string }).code ?? ""} ${(err as Error).message ?? err}`.trim();
}

export function logFailure(consumer: string, step: string, attempt: number, err: unknown): void {
  log.warn("flusher step failed; retrying", { step, attempt, consumer, ...errorFields(err) });
}
