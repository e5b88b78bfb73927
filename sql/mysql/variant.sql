-- MariaDB or MySQL: they bound a statement's time differently.
SELECT VERSION() AS version
