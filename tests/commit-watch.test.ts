// The flusher thread's filter for write-and-wait: it reports only the commits someone waits
// for, and a key watched just after the thread committed it is still reported.
import { describe, expect, test } from "bun:test";
import { CommitWatch } from "../src/flusher/watch";

describe("CommitWatch", () => {
  test("reports only the watched keys of a batch", () => {
    const w = new CommitWatch();
    expect(w.update(["b"], [])).toEqual([]);
    expect(w.committed([{ key: "a", version: 1 }, { key: "b", version: 2 }, { key: "c", version: 3 }])).toEqual([{ key: "b", version: 2 }]);
    w.update([], ["b"]);
    expect(w.committed([{ key: "b", version: 4 }])).toEqual([]);
  });

  test("a key watched after its commit is reported from the thread's memory of recent commits", () => {
    let now = 0;
    const w = new CommitWatch(() => now);
    w.update(["other"], []); // someone waits: the thread remembers what it commits
    w.committed([{ key: "k", version: 7 }, { key: "j", version: 1 }]);
    now = 1500; // into the older generation
    w.committed([{ key: "k", version: 5 }]); // an older version does not hide the newer one
    expect(w.update(["k"], [])).toEqual([{ key: "k", version: 7 }]);
    now = 4000; // two generations later, forgotten: the main thread's database poll finds it
    w.committed([{ key: "x", version: 1 }]);
    w.committed([]);
    now = 5500;
    w.committed([]);
    expect(w.update(["j"], [])).toEqual([]);
  });

  test("remembers nothing while nobody has waited for a while", () => {
    let now = 0;
    const w = new CommitWatch(() => now);
    w.committed([{ key: "k", version: 1 }]);
    expect(w.update(["k"], [])).toEqual([]);
    w.update([], ["k"]);
    now = 20_000;
    w.committed([{ key: "m", version: 1 }]);
    expect(w.update(["m"], [])).toEqual([]);
  });
});
