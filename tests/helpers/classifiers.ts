// The error classifiers together with the drivers whose errors they read, as one module:
// tests/classify.test.ts imports it from source and as a minified bundle (the flags of
// `bun run build`), so an error recognised by a class's name (which --minify renames) fails
// there, as it would in the binary.
export { default as postgres } from "postgres";
export { default as Redis } from "ioredis";
export { Database } from "bun:sqlite";
export { SQL } from "bun";
export { classify as classifyPostgres, sqlState } from "../../src/store/postgres/classify";
export { classify as classifyMysql, errno } from "../../src/store/mysql/classify";
export { classify as classifySqlite, resultCode } from "../../src/store/sqlite/classify";
export { redisErrorCode, fromScriptError, BackpressureError } from "../../src/cache/errors";
export { errorFields } from "../../src/log";
