/**
 * One measured figure of a benchmark, always beside a baseline measured in the
 * same run (machines are shared and noisy: ratios travel, absolute numbers less so).
 */
export interface BenchFigure {
  /** Suite that measured it, e.g. `ipc`, `storage`, `e2e`. */
  suite: string;
  /** What was measured, e.g. `one-way throughput, 200 B frames`. */
  name: string;
  /** Unit of `value` and of the baseline's value, e.g. `frames/s`, `µs`, `B/candle`. */
  unit: string;
  value: number;
  /** True when a larger value is better (throughput), false for latency and size. */
  higherIsBetter: boolean;
  baseline?: { name: string; value: number };
  /** The target the figure is held to, in words, e.g. `>= 80% of baseline and >= 300k/s`. */
  goal?: string;
  /** Whether the goal held in this run. */
  goalMet?: boolean;
  /** Anything a reader needs to interpret the figure. */
  note?: string;
}

export interface BenchContext {
  /** Directory for the suite's scratch files; removed after the run. */
  tmpDir: string;
  /** `../shared/data` when it exists beside the repository, else undefined. */
  sharedDataDir: string | undefined;
  /** Quick mode (`--quick`): fewer iterations, for smoke runs. */
  quick: boolean;
  log(message: string): void;
}

/** A suite module under `bench/suites/` default-exports one of these. */
export type BenchSuite = (ctx: BenchContext) => Promise<BenchFigure[]>;
