-- One statement per batch (split when it would pass the placeholder limit or
-- max_allowed_packet): ROWS stands for "(?, ?, ?, UTC_TIMESTAMP(6)), ..." one per row, rows
-- sorted by key bytes so concurrent flushers take row locks in the same order. The version
-- guard: assignments run left to right, so the value (and its time) is decided against the
-- old version before the version itself changes. Times are UTC (DATETIME, migration 0002).
INSERT INTO writeback_kv (`key`, value, version, updated_at)
VALUES ROWS
ON DUPLICATE KEY UPDATE
  value = IF(VALUES(version) > version, VALUES(value), value),
  updated_at = IF(VALUES(version) > version, VALUES(updated_at), updated_at),
  version = GREATEST(version, VALUES(version))
