// The write path and the flusher against one real Redis and Postgres (tests/suites/flusher.ts).
import { flusherSuite } from "./suites/flusher";

flusherSuite(() => ({ STREAM_PARTITIONS: "1" }));
