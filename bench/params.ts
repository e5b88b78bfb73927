// How long and how big each part of a bench run is; --quick shrinks everything to fit a minute.
export interface Params {
  quick: boolean;
  connections: number;
  warmSeconds: number;
  rounds: number;
  roundSeconds: number;
  latencySeconds: number;
  sustainSeconds: number;
  /** most constant-rate levels the sustained-capacity search tries */
  sustainLevels: number;
  visibleSeconds: number;
  drainWrites: number;
  drainRounds: number;
  coalesceWrites: number;
  hotKeys: number;
}

export const FULL: Params = {
  quick: false,
  connections: 256,
  warmSeconds: 3,
  rounds: 5,
  roundSeconds: 10,
  latencySeconds: 20,
  sustainSeconds: 60,
  sustainLevels: 6,
  visibleSeconds: 20,
  drainWrites: 1_000_000,
  drainRounds: 5,
  coalesceWrites: 1_000_000,
  hotKeys: 1_000,
};

export const QUICK: Params = {
  quick: true,
  connections: 256,
  warmSeconds: 1,
  rounds: 2,
  roundSeconds: 2,
  latencySeconds: 3,
  sustainSeconds: 4,
  sustainLevels: 1,
  visibleSeconds: 3,
  drainWrites: 50_000,
  drainRounds: 2,
  coalesceWrites: 100_000,
  hotKeys: 1_000,
};
