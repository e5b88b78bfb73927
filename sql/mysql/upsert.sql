-- One statement per batch (split when it would pass the placeholder limit): ROWS stands for
-- "(?, ?, ?), ..." one per row, rows sorted by key bytes so concurrent flushers take row locks
-- in the same order. The version guard: assignments run left to right, so the value (and its
-- time) is decided against the old version before the version itself changes.
INSERT INTO writeback_kv (`key`, value, version)
VALUES ROWS
ON DUPLICATE KEY UPDATE
  value = IF(VALUES(version) > version, VALUES(value), value),
  updated_at = IF(VALUES(version) > version, CURRENT_TIMESTAMP(6), updated_at),
  version = GREATEST(version, VALUES(version))
