-- Records ? as the owning KEY_PREFIX unless one is recorded (then owner.sql reads the owner).
INSERT IGNORE INTO writeback_meta (name, value) VALUES ('key_prefix', ?)
