// Every SQL statement, embedded from sql/ at build time, so the binary runs from anywhere.
import schema from "../../sql/schema.sql" with { type: "text" };
import migrateLock from "../../sql/migrate_lock.sql" with { type: "text" };
import upsert from "../../sql/upsert.sql" with { type: "text" };
import get from "../../sql/get.sql" with { type: "text" };
import ready from "../../sql/ready.sql" with { type: "text" };
import metaSchema from "../../sql/meta_schema.sql" with { type: "text" };
import claimOwner from "../../sql/claim_owner.sql" with { type: "text" };

export const SQL = { schema, metaSchema, claimOwner, migrateLock, upsert, get, ready } as const;
