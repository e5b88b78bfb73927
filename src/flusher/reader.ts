// How a flusher thread reads its partitions: in chunks of at most READ_CHUNK entries and about
// an eighth of FLUSH_BATCH_BYTES each (fewer entries when they are large), gathered while more
// are waiting into a batch of up to FLUSH_BATCH entries and about FLUSH_BATCH_BYTES, so a
// backlog is flushed in large batches without one huge read stalling Redis for every writer.
// Only the first read of a batch blocks, and never for long next to the leases' renewals.
import { entryBytes, type RawEntry } from "../cache/entry";
import type { PartitionLog } from "../cache/partitions";
import type { Config } from "../config";
import { splitId } from "../keys";
import { READ_CHUNK } from "../tuning";
import type { Ownership } from "./ownership";

/** A batch read from the owned partitions: its entries, and per partition the lease it was read under and the last id read. */
export interface Batch {
  entries: RawEntry[];
  parts: Map<number, { token: string; upTo: string }>;
}

export class BatchReader {
  /** Largest entry of the last reads (halving per read): sizes the next read (chunk()). */
  private entrySize: number;

  constructor(
    private config: Config,
    private log: PartitionLog,
    private own: Ownership,
  ) {
    this.entrySize = config.MAX_KEY_BYTES + config.MAX_VALUE_BYTES;
  }

  /** About the most bytes one Redis reply brings in (a stream read, a values.lua call): an eighth of a batch. */
  get readMaxBytes(): number {
    return this.config.FLUSH_BATCH_BYTES / 8;
  }

  /** Whether a batch is as large as one flush takes (a backlog is waiting behind it). */
  full(batch: Batch): boolean {
    return batch.entries.length >= this.config.FLUSH_BATCH || bytesOf(batch.entries) >= this.config.FLUSH_BATCH_BYTES;
  }

  /** How many entries one read may ask for: READ_CHUNK, fewer when entries are large. */
  private chunk(): number {
    const perRead = Math.floor(this.readMaxBytes / Math.max(1, this.entrySize));
    return Math.max(1, Math.min(READ_CHUNK, this.config.FLUSH_BATCH, perRead));
  }

  private async readChunk(count: number, block: boolean): Promise<RawEntry[]> {
    // A blocking read holds this connection: never for long next to the leases' renewals.
    const blockMs = block ? Math.min(this.config.FLUSH_BLOCK_MS, Math.floor(this.config.FLUSH_CLAIM_IDLE_MS / 4)) : 0;
    const entries = await this.log.read(this.own.positions(), count, blockMs);
    this.own.advance(entries);
    // Sizes rise at once and fall by half per read: a burst of large values shrinks the next reads.
    let largest = 0;
    for (const [, fields] of entries) largest = Math.max(largest, entryBytes(fields));
    if (entries.length > 0) this.entrySize = Math.max(largest, this.entrySize / 2);
    return entries;
  }

  /** Up to FLUSH_BATCH entries and about FLUSH_BATCH_BYTES from the owned partitions' positions; only the first read blocks (if `block`). */
  async read(block: boolean): Promise<Batch> {
    let all = await this.readChunk(this.chunk(), block);
    let bytes = bytesOf(all);
    let last = all;
    while (last.length > 0 && all.length < this.config.FLUSH_BATCH && bytes < this.config.FLUSH_BATCH_BYTES) {
      last = await this.readChunk(Math.min(this.chunk(), this.config.FLUSH_BATCH - all.length), false);
      all = all.concat(last);
      bytes += bytesOf(last);
      // A short read may still leave entries: each partition gets only its share of the count.
    }
    const parts = new Map<number, { token: string; upTo: string }>();
    for (const [qid] of all) {
      const { p } = splitId(qid);
      const o = this.own.owned.get(p);
      if (o) parts.set(p, { token: o.token, upTo: qid });
    }
    return { entries: all, parts };
  }
}

export function bytesOf(entries: RawEntry[]): number {
  let n = 0;
  for (const [, fields] of entries) n += entryBytes(fields);
  return n;
}
