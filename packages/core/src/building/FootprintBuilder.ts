import { z } from 'zod';
import type { FootprintCandleDTO } from '../candle/FootprintCandleDTO';
import { FlowTraceCoreError, InvalidCoreOptionsError } from '../errors/FlowTraceCoreError';
import { explainUnsafeName } from '../naming/safeName';
import { InvalidTickValueError, tickSizeOf } from '../tick/TickSize';
import { explainPriceOutOfTickRange } from '../tick/tickRange';
import { alignOpenTime, TIMEFRAME_NAMES, type TimeframeName } from '../timeframe/timeframes';
import { assertValidTrade, InvalidTradeError, type Trade } from '../trade/Trade';
import { CandleInProgress, type SeriesIdentity, tradeDecimals } from './CandleInProgress';

export interface FootprintBuilderOptions {
  exchange: string;
  symbol: string;
  /** Timeframes to build, e.g. `['1m', '5m', '1h']`; at least one, no duplicates. */
  timeframes: readonly TimeframeName[];
  /** Price step of the bins (quote currency), a decimal like 0.01. */
  tickValue: number;
  /** The DTO's `a` field; default `''`. */
  asset?: string;
}

/** A trade arrived for a candle that is already closed (or before the open candle's start). */
export class LateTradeError extends FlowTraceCoreError {
  readonly code = 'FLOWTRACE_LATE_TRADE';
}

/**
 * A trade whose id was already applied to the candle it belongs to (e.g. a
 * feed replayed after a reconnect): applying it again would count it twice.
 */
export class DuplicateTradeError extends FlowTraceCoreError {
  readonly code = 'FLOWTRACE_DUPLICATE_TRADE';
}

const safeName = z.string().superRefine((value, context) => {
  const problem = explainUnsafeName(value);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
});

const builderOptionsSchema = z.object({
  exchange: safeName,
  symbol: safeName,
  timeframes: z
    .array(z.enum(TIMEFRAME_NAMES))
    .min(1)
    .refine((names) => new Set(names).size === names.length, 'must not repeat a timeframe'),
  tickValue: z.number().positive(),
  asset: z.string().default(''),
});

interface TimeframeState {
  readonly timeframe: TimeframeName;
  current: CandleInProgress | undefined;
  /** Trades earlier than this belong to a candle that was closed or skipped. */
  acceptFrom: number;
}

/**
 * Builds footprint candles of several timeframes incrementally from a trade
 * stream, for live use. Trades must arrive in time order per candle: a trade
 * older than the open candle's start is rejected with `LateTradeError`
 * (nothing is applied), a trade id already applied to its candle with
 * `DuplicateTradeError`. Within a candle, `o`/`c` follow arrival order.
 * Minutes without trades produce no candle.
 */
export class FootprintBuilder {
  private readonly series: SeriesIdentity;
  private readonly states: TimeframeState[];

  constructor(options: FootprintBuilderOptions) {
    const parsed = builderOptionsSchema.safeParse(options);
    if (!parsed.success) {
      const details = parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || 'options'} ${issue.message}`,
      );
      throw new InvalidCoreOptionsError(`Invalid footprint builder options: ${details.join('; ')}`);
    }
    let tick: ReturnType<typeof tickSizeOf>;
    try {
      tick = tickSizeOf(parsed.data.tickValue);
    } catch (error) {
      if (error instanceof InvalidTickValueError)
        throw new InvalidCoreOptionsError(error.message, { cause: error });
      throw error;
    }
    this.series = Object.freeze({
      exchange: parsed.data.exchange,
      symbol: parsed.data.symbol,
      asset: parsed.data.asset,
      tick,
    });
    this.states = parsed.data.timeframes.map((timeframe) => ({
      timeframe,
      current: undefined,
      acceptFrom: Number.NEGATIVE_INFINITY,
    }));
  }

  /**
   * Applies one trade to the candle of every timeframe. Returns the candles
   * this trade completed (its time is past their end), marked `x: true`.
   * @throws InvalidTradeError for a malformed trade (or a price too large to bin with the tick), LateTradeError for an out-of-order one,
   *   DuplicateTradeError for a trade id already applied to its candle; none changes state.
   */
  push(trade: Trade): FootprintCandleDTO[] {
    assertValidTrade(trade);
    const outOfRange = explainPriceOutOfTickRange(trade.price, this.series.tick);
    if (outOfRange !== undefined)
      throw new InvalidTradeError(`Invalid trade ${trade.tradeId}: ${outOfRange}`);
    for (const state of this.states) {
      if (trade.time < state.acceptFrom) {
        throw new LateTradeError(
          `Trade ${trade.tradeId} at ${trade.time} is older than the ${state.timeframe} candle it would belong to (accepting from ${state.acceptFrom})`,
        );
      }
      const current = state.current;
      if (current !== undefined && trade.time <= current.closeTime && current.hasTrade(trade.tradeId)) {
        throw new DuplicateTradeError(
          `Trade ${trade.tradeId} at ${trade.time} was already applied to the ${state.timeframe} candle opening at ${current.openTime}; it would be counted twice`,
        );
      }
    }
    const { quantity, price } = tradeDecimals(trade);
    const completed: FootprintCandleDTO[] = [];
    for (const state of this.states) {
      const current = state.current;
      if (current !== undefined && trade.time > current.closeTime) {
        completed.push(current.toDTO(true));
        state.current = undefined;
      }
      if (state.current === undefined) {
        state.current = new CandleInProgress(
          this.series,
          state.timeframe,
          alignOpenTime(trade.time, state.timeframe),
        );
        state.acceptFrom = state.current.openTime;
      }
      state.current.apply(trade, quantity, price);
    }
    return completed;
  }

  /**
   * Completes every open candle that ends before `timeMs` (e.g. the wall
   * clock minus an allowed lateness), so quiet markets still emit candles.
   */
  advanceTo(timeMs: number): FootprintCandleDTO[] {
    const completed: FootprintCandleDTO[] = [];
    for (const state of this.states) {
      const current = state.current;
      if (current !== undefined && current.closeTime < timeMs) {
        completed.push(current.toDTO(true));
        state.current = undefined;
        state.acceptFrom = current.closeTime + 1;
      }
    }
    return completed;
  }

  /** The open candles as they are now, marked `x: false`; the builder keeps them. */
  snapshot(): FootprintCandleDTO[] {
    return this.openCandles().map((candle) => candle.toDTO(false));
  }

  /**
   * Returns the open candles marked `x: false` (their period may not be over)
   * and forgets them; a later trade in the same period is then rejected as late.
   */
  flush(): FootprintCandleDTO[] {
    const open = this.snapshot();
    for (const state of this.states) {
      if (state.current !== undefined) state.acceptFrom = state.current.closeTime + 1;
      state.current = undefined;
    }
    return open;
  }

  private openCandles(): CandleInProgress[] {
    return this.states.flatMap((state) => (state.current === undefined ? [] : [state.current]));
  }
}
