/** What a producer child process is told (argv[2], JSON). */
export interface ProducerConfig {
  socketPath: string;
  queuePath: string;
  /** Append-only file: one `<index> <via>` line per candle, fsync'd before it counts as promised. */
  ledgerPath: string;
  seed: number;
  symbol: string;
  exchange: string;
  /** Candles to publish at most (the stream is deterministic from seed/symbol/exchange). */
  count: number;
  /** Publishes kept in flight. */
  concurrency: number;
  /** Candles per second in total; 0 = as fast as acknowledgements allow. */
  rate: number;
  /** Stop by itself after this long (0 = run until SIGTERM or `count`). */
  durationMs: number;
  /** How often a stats line is printed to stdout (0 = never). */
  statsEveryMs: number;
  /** Message id prefix; ids are `<prefix><index>`, so the checker can find queued messages. */
  idPrefix: string;
  requestTimeoutMs: number;
  /** Wait up to this long for the socket before publishing (0 = start at once, queue if unconnected). */
  waitForSocketMs?: number;
}

/** A JSON line the producer prints on stdout. */
export type ProducerLine =
  | {
      kind: 'stats';
      at: number;
      acked: number;
      queued: number;
      /** Ack latencies (ms) of the publishes resolved since the previous line. */
      latencyP50Ms: number | null;
      latencyP99Ms: number | null;
      resolvedInWindow: number;
    }
  | {
      kind: 'done';
      acked: number;
      queued: number;
      rejected: number;
      failed: number;
      sent: number;
      /** Over every publish of the run. */
      latencyP50Ms: number | null;
      latencyP99Ms: number | null;
      publishingMs: number;
    };

/** The candle generator options of a producer: the checker regenerates the same candles from them. */
export function generatorOptions(
  config: Pick<ProducerConfig, 'seed' | 'symbol' | 'exchange'>,
  count: number,
) {
  return {
    seed: config.seed,
    count,
    bins: 50,
    symbol: config.symbol,
    exchange: config.exchange,
    emptyRatio: 0,
  } as const;
}
