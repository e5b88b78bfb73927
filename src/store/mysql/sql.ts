// The MySQL / MariaDB statements, embedded from sql/mysql/ at build time.
import type { Migration } from "../postgres/sql";
import migrateLock from "../../../sql/mysql/migrate_lock.sql" with { type: "text" };
import migrateUnlock from "../../../sql/mysql/migrate_unlock.sql" with { type: "text" };
import migrationsTable from "../../../sql/mysql/migrations_table.sql" with { type: "text" };
import migrationsApplied from "../../../sql/mysql/migrations_applied.sql" with { type: "text" };
import migrationRecord from "../../../sql/mysql/migration_record.sql" with { type: "text" };
import claimOwner from "../../../sql/mysql/claim_owner.sql" with { type: "text" };
import owner from "../../../sql/mysql/owner.sql" with { type: "text" };
import upsert from "../../../sql/mysql/upsert.sql" with { type: "text" };
import get from "../../../sql/mysql/get.sql" with { type: "text" };
import getMany from "../../../sql/mysql/get_many.sql" with { type: "text" };
import versions from "../../../sql/mysql/versions.sql" with { type: "text" };
import purgeTombstones from "../../../sql/mysql/purge_tombstones.sql" with { type: "text" };
import ready from "../../../sql/mysql/ready.sql" with { type: "text" };
import variant from "../../../sql/mysql/variant.sql" with { type: "text" };
import maxPacket from "../../../sql/mysql/max_packet.sql" with { type: "text" };
import m0001 from "../../../sql/mysql/migrations/0001_initial.sql" with { type: "text" };
import m0002 from "../../../sql/mysql/migrations/0002_datetime.sql" with { type: "text" };

export const SQL = {
  migrateLock,
  migrateUnlock,
  migrationsTable,
  migrationsApplied,
  migrationRecord,
  claimOwner,
  owner,
  upsert,
  get,
  getMany,
  versions,
  purgeTombstones,
  ready,
  variant,
  maxPacket,
} as const;

/** MySQL runs DDL outside transactions: each migration is written to be re-run safely. */
export const MIGRATIONS: Migration[] = [
  { id: 1, name: "0001_initial", sql: m0001 },
  { id: 2, name: "0002_datetime", sql: m0002 },
];
