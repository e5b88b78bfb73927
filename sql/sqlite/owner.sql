SELECT value FROM writeback_meta WHERE name = 'key_prefix'
