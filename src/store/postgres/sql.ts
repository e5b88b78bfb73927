// Every SQL statement, embedded from sql/ at build time, so the binary runs from anywhere.
import migrateLock from "../../../sql/postgres/migrate_lock.sql" with { type: "text" };
import migrationsTable from "../../../sql/postgres/migrations_table.sql" with { type: "text" };
import migrationsApplied from "../../../sql/postgres/migrations_applied.sql" with { type: "text" };
import migrationRecord from "../../../sql/postgres/migration_record.sql" with { type: "text" };
import claimOwner from "../../../sql/postgres/claim_owner.sql" with { type: "text" };
import upsert from "../../../sql/postgres/upsert.sql" with { type: "text" };
import upsertOne from "../../../sql/postgres/upsert_one.sql" with { type: "text" };
import get from "../../../sql/postgres/get.sql" with { type: "text" };
import getMany from "../../../sql/postgres/get_many.sql" with { type: "text" };
import versions from "../../../sql/postgres/versions.sql" with { type: "text" };
import purgeTombstones from "../../../sql/postgres/purge_tombstones.sql" with { type: "text" };
import ready from "../../../sql/postgres/ready.sql" with { type: "text" };
import m0001 from "../../../sql/postgres/migrations/0001_initial.sql" with { type: "text" };
import m0002 from "../../../sql/postgres/migrations/0002_tombstones.sql" with { type: "text" };

export const SQL = {
  migrateLock,
  migrationsTable,
  migrationsApplied,
  migrationRecord,
  claimOwner,
  upsert,
  upsertOne,
  get,
  getMany,
  versions,
  purgeTombstones,
  ready,
} as const;

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/** The numbered migrations, in order: sql/migrations/NNNN_name.sql. Add one; never edit one that shipped. */
export const MIGRATIONS: Migration[] = [
  { id: 1, name: "0001_initial", sql: m0001 },
  { id: 2, name: "0002_tombstones", sql: m0002 },
];
