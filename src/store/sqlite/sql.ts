// The SQLite statements, embedded from sql/sqlite/ at build time.
import type { Migration } from "../postgres/sql";
import migrationsTable from "../../../sql/sqlite/migrations_table.sql" with { type: "text" };
import migrationsApplied from "../../../sql/sqlite/migrations_applied.sql" with { type: "text" };
import migrationRecord from "../../../sql/sqlite/migration_record.sql" with { type: "text" };
import claimOwner from "../../../sql/sqlite/claim_owner.sql" with { type: "text" };
import owner from "../../../sql/sqlite/owner.sql" with { type: "text" };
import upsert from "../../../sql/sqlite/upsert.sql" with { type: "text" };
import upsertOne from "../../../sql/sqlite/upsert_one.sql" with { type: "text" };
import get from "../../../sql/sqlite/get.sql" with { type: "text" };
import getMany from "../../../sql/sqlite/get_many.sql" with { type: "text" };
import versions from "../../../sql/sqlite/versions.sql" with { type: "text" };
import purgeTombstones from "../../../sql/sqlite/purge_tombstones.sql" with { type: "text" };
import ready from "../../../sql/sqlite/ready.sql" with { type: "text" };
import m0001 from "../../../sql/sqlite/migrations/0001_initial.sql" with { type: "text" };

export const SQL = {
  migrationsTable,
  migrationsApplied,
  migrationRecord,
  claimOwner,
  owner,
  upsert,
  upsertOne,
  get,
  getMany,
  versions,
  purgeTombstones,
  ready,
} as const;

export const MIGRATIONS: Migration[] = [{ id: 1, name: "0001_initial", sql: m0001 }];
