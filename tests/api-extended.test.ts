// Increments, batches, status and write-and-wait on one Redis, with the default partition count (tests/suites/api-extended.ts).
import { apiExtendedSuite } from "./suites/api-extended";

apiExtendedSuite(() => ({ STREAM_PARTITIONS: "16" }));
