// Everything writeback still does for deployments upgrading from the release before
// partitions (one write stream, `<prefix>stream`, and hashes `<prefix>c:<key>` without a hash
// tag) lives in src/legacy/, and nowhere else on the TypeScript side:
//   keys.ts    its key names;
//   stream.ts  whether its stream is still there, and retiring it once drained (retire.lua);
//   drain.ts   the flusher threads drain its stream before they start on the partitions;
//   reads.ts   until it is gone, a read or an increment that misses looks at its hash.
// (claim.lua also drops the consumer group of the releases before partition leases: that rule
// is the script's, with the Lua scripts.)
// Removing it: delete this folder, its three call sites (src/start.ts, src/flusher/thread.ts,
// and the `older` argument of ApiCache), retire.lua with its wbRetire command, and
// tests/upgrade.test.ts; docs/scaling.md's "Upgrading from the release with one stream".

/**
 * The release that drops the upgrade path. By then every deployment has run a partitioned
 * release at least once, which drains and deletes the one-stream data at its first start.
 */
export const REMOVED_IN = "0.3.0";
