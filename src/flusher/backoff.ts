// Capped exponential backoff with equal jitter (half the ceiling fixed, half random): contiguous
// failures wait longer, never in a hot loop and never less than half the ceiling, and many
// threads retrying at once do not retry in lockstep.
export function backoffMs(attempt: number, capMs: number, baseMs = 50): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
