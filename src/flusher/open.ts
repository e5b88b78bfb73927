// Where a flusher's connections are made: a log on a Redis connection of its own and a store
// with one database connection, under the consumer name `<CONSUMER_NAME>-<index>`. The Flusher
// itself takes them as arguments, so its rules can be run against fakes (tests/unit).
import { RedisLog } from "../cache/partitions";
import type { Config } from "../config";
import type { Keys } from "../keys";
import type { Registry } from "../metrics";
import { openStore } from "../store/open";
import { Flusher, type FlusherOptions } from "./flusher";

export function openFlusher(config: Config, k: Keys, index: number, metrics: Registry, options: FlusherOptions = {}): Flusher {
  const store = openStore({
    url: config.DATABASE_URL,
    max: 1,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
  });
  return new Flusher(config, RedisLog.connect(config, k), store, metrics, `${config.CONSUMER_NAME}-${index}`, options);
}
