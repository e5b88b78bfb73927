// Structured logs: one JSON line per event worth knowing, nothing per request.
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type Level = keyof typeof LEVELS;

let threshold: number = LEVELS.info;
let base: Record<string, unknown> = {};
/** Where lines go instead of stdout/stderr: set by the test preload, which shows them only for a failing test. */
let sink: ((line: string) => void) | undefined;

/** Sends log lines to `to` instead of stdout/stderr (undefined: back to them). Test support. */
export function logTo(to: ((line: string) => void) | undefined): void {
  sink = to;
}

export function configureLog(level: Level, fields: Record<string, unknown> = {}): void {
  threshold = LEVELS[level];
  base = fields;
}

function write(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (LEVELS[level] < threshold) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields });
  if (sink) return sink(line);
  (level === "error" || level === "warn" ? process.stderr : process.stdout).write(line + "\n");
}

export const log = {
  debug: (msg: string, f?: Record<string, unknown>) => write("debug", msg, f),
  info: (msg: string, f?: Record<string, unknown>) => write("info", msg, f),
  warn: (msg: string, f?: Record<string, unknown>) => write("warn", msg, f),
  error: (msg: string, f?: Record<string, unknown>) => write("error", msg, f),
};

/** JavaScript's own error classes: their names are the same in the binary as in source. */
const BUILTIN_ERRORS = new Set<unknown>([Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError, DOMException]);

/**
 * The parts of an error worth logging: its message, its code (SQLSTATE, errno, our own codes)
 * and its name only where the name is stable. `bun build --minify` renames classes, so a name
 * that is just its class's name ("PostgresError" from source, "Ut" in the binary) is left out:
 * the binary and the source log the same fields.
 */
export function errorFields(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { err: String(err) };
  const fields: Record<string, unknown> = { err: err.message };
  const ctor = (err as { constructor?: unknown }).constructor;
  if (BUILTIN_ERRORS.has(ctor) || err.name !== (ctor as { name?: unknown } | undefined)?.name) fields.errName = err.name;
  const { code, errno } = err as { code?: unknown; errno?: unknown };
  if (code !== undefined) fields.errCode = code;
  if (errno !== undefined && errno !== code) fields.errno = errno;
  return fields;
}
