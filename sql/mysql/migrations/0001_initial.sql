-- The system of record on MySQL 8 / MariaDB 10.6+. Keys are VARBINARY, compared byte for
-- byte (a binary collation pads no spaces and folds no case: 'a' <> 'A', 'ss' <> 'ß',
-- 'a' <> 'a '), and 2048 bytes fit InnoDB's 3072-byte index limit. Values are utf8mb4
-- LONGTEXT, so every Unicode plane and values of MAX_VALUE_BYTES fit; NULL is a tombstone (a
-- deleted key, kept with its version so older writes cannot bring it back).
CREATE TABLE IF NOT EXISTS writeback_kv (
  `key`      VARBINARY(2048) NOT NULL PRIMARY KEY,
  value      LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  version    BIGINT NOT NULL,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY writeback_kv_updated (updated_at)
) ENGINE = InnoDB;

-- Facts about the deployment that owns this database, e.g. its KEY_PREFIX.
CREATE TABLE IF NOT EXISTS writeback_meta (
  name  VARCHAR(64) NOT NULL PRIMARY KEY,
  value TEXT CHARACTER SET utf8mb4 NOT NULL
) ENGINE = InnoDB;
