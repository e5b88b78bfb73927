-- Records ?1 as the owning KEY_PREFIX unless one is recorded (then owner.sql reads the owner).
INSERT OR IGNORE INTO writeback_meta (name, value) VALUES ('key_prefix', ?1)
