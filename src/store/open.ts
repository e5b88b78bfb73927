// The store named by DATABASE_URL's scheme: postgres:// (postgres.js), mysql:// or
// mariadb:// (Bun's SQL client), sqlite:// (bun:sqlite). Everything above the Store
// interface is the same for all three.
import { MysqlStore } from "./mysql/store";
import { PostgresStore } from "./postgres/store";
import { SqliteStore } from "./sqlite/store";
import type { Store } from "./store";

export interface StoreOptions {
  url: string;
  /** connections in the pool (one per flusher thread; a few for the HTTP thread) */
  max: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  /**
   * The largest key and value a write can carry (MAX_KEY_BYTES, MAX_VALUE_BYTES): where the
   * database caps what one statement can carry (MySQL's max_allowed_packet), migrate() refuses
   * it when such a row could never be written (StoreLimitError: exit 2). Unset: not checked.
   */
  maxKeyBytes?: number;
  maxValueBytes?: number;
}

/** The store a DATABASE_URL names (config.ts checks the scheme once, at start; this maps it). */
export function storeKind(url: string): "postgres" | "mysql" | "sqlite" {
  if (/^postgres(ql)?:/.test(url)) return "postgres";
  if (/^(mysql|mariadb):/.test(url)) return "mysql";
  if (/^sqlite:/.test(url)) return "sqlite";
  throw new Error(`unknown DATABASE_URL scheme: ${url.split(":")[0]}`);
}

export function openStore(o: StoreOptions): Store {
  switch (storeKind(o.url)) {
    case "postgres":
      return new PostgresStore(o);
    case "mysql":
      return new MysqlStore(o);
    case "sqlite":
      return new SqliteStore(o);
  }
}
