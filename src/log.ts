// Structured logs: one JSON line per event worth knowing, nothing per request.
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type Level = keyof typeof LEVELS;

let threshold: number = LEVELS.info;
let base: Record<string, unknown> = {};

export function configureLog(level: Level, fields: Record<string, unknown> = {}): void {
  threshold = LEVELS[level];
  base = fields;
}

function write(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (LEVELS[level] < threshold) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields });
  (level === "error" || level === "warn" ? process.stderr : process.stdout).write(line + "\n");
}

export const log = {
  debug: (msg: string, f?: Record<string, unknown>) => write("debug", msg, f),
  info: (msg: string, f?: Record<string, unknown>) => write("info", msg, f),
  warn: (msg: string, f?: Record<string, unknown>) => write("warn", msg, f),
  error: (msg: string, f?: Record<string, unknown>) => write("error", msg, f),
};

/** The parts of an error worth logging: its class, code and message. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    return { err: err.message, errName: err.name, errCode: (err as { code?: unknown }).code };
  }
  return { err: String(err) };
}
