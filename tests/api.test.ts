// The HTTP contract on one Redis, with the default partition count (tests/suites/api.ts).
import { apiSuite } from "./suites/api";

apiSuite(() => ({ STREAM_PARTITIONS: "16" }));
