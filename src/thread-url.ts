// Where the flusher thread's entry point is. This module sits at the root of src/ on purpose:
// `bun build --compile` bundles every module into the root entry, so import.meta.url is the
// root both when run from source and inside the binary, where src/flusher/thread.ts (an extra
// entrypoint of the build) lives at ./flusher/thread.ts. (tests/unit/command.test.ts fails if it moves.)
export const FLUSHER_THREAD_URL = new URL("./flusher/thread.ts", import.meta.url);
