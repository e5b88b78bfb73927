// Where a flusher's connections are made: a log on a Redis connection of its own and a store
// with one database connection, under the consumer name `<CONSUMER_NAME>-<index>`. The Flusher
// itself takes them as arguments, so its rules can be run against fakes (tests/unit).
import { randomUUID } from "node:crypto";
import { RedisLog } from "../cache/partitions";
import type { Config } from "../config";
import type { Keys } from "../keys";
import type { Registry } from "../metrics";
import { openStore } from "../store/open";
import { Flusher, type FlusherOptions } from "./flusher";

/**
 * This process's life, as the flusher threads claim partitions: a lease held under this
 * CONSUMER_NAME by another process's life was left by a killed instance, and is taken at once
 * (claim.lua). Made on the main thread and handed to each thread (messages.ts).
 */
export const PROCESS_ID = randomUUID().slice(0, 8);

export function openFlusher(config: Config, k: Keys, index: number, metrics: Registry, options: FlusherOptions = {}, processId = PROCESS_ID): Flusher {
  const store = openStore({
    url: config.DATABASE_URL,
    max: 1,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
    // migrate() refuses a database that could never take a row of these (exit 2)
    maxKeyBytes: config.MAX_KEY_BYTES,
    maxValueBytes: config.MAX_VALUE_BYTES,
  });
  const who = { consumer: `${config.CONSUMER_NAME}-${index}`, name: config.CONSUMER_NAME, process: processId };
  return new Flusher(config, RedisLog.connect(config, k), store, metrics, who, options);
}
