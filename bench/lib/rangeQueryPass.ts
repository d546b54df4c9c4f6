/** One day of 1m candles. */
export const DAY_OF_1M = 1440;

/**
 * Unmeasured rounds over the days before a query pass is timed: the first round fills the
 * decoded-block cache, and V8 promotes what the cache holds during the next ones (scavenges of
 * 7-19 ms, seen with --trace-gc); the steady state after that is what a long-running reader sees.
 */
export const PRIMING_ROUNDS = 3;

/**
 * Timings (ms, sorted) of `queries` calls of `query` on one-day ranges (days 0..cycle-1 from
 * `first`, in turn) after PRIMING_ROUNDS unmeasured rounds, and their CPU time. Each pass starts
 * with a full collection when the process runs with --expose-gc: a day of 50-bin DTOs is ~14 MB of
 * objects, and collecting one kind's garbage inside another kind's timings measured the collector.
 */
export async function timePass(
  first: number,
  queries: number,
  cycle: number,
  query: (startTime: number, endTime: number) => Promise<void>,
): Promise<{ wall: number[]; cpu: number[] }> {
  (globalThis as { gc?: () => void }).gc?.();
  const prime = PRIMING_ROUNDS * cycle;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let q = 0; q < prime + queries; q += 1) {
    const startTime = first + (q % cycle) * DAY_OF_1M * 60_000;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await query(startTime, startTime + (DAY_OF_1M - 1) * 60_000);
    const elapsed = performance.now() - t0;
    const used = process.cpuUsage(cpu0);
    if (q < prime) continue;
    wall.push(elapsed);
    cpu.push((used.user + used.system) / 1000);
  }
  wall.sort((x, y) => x - y);
  cpu.sort((x, y) => x - y);
  return { wall, cpu };
}
