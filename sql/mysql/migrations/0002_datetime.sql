-- Times as DATETIME(6) in UTC. TIMESTAMP's range ends on 2038-01-19 03:14:07 UTC (MySQL 8,
-- MariaDB before 11.5): from then on every upsert would fail as a data error and go to the
-- dead letters. writeback's statements write UTC_TIMESTAMP(6) themselves, so no session's
-- time zone enters a stored time (the default serves inserts by hand, in their session's
-- zone). migrate() runs this with the session's time zone at UTC, so each TIMESTAMP (stored as
-- UTC) becomes the same instant as a UTC DATETIME; re-running it changes nothing. On a large
-- table the ALTER copies it once, holding flushes back meanwhile (they retry).
ALTER TABLE writeback_kv MODIFY updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
ALTER TABLE writeback_migrations MODIFY applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
