import { FlowTraceCoreError } from '../errors/FlowTraceCoreError';
import { MAX_EPOCH_MS } from './epochRange';

/**
 * One executed trade (e.g. a Binance aggTrade). "Buy" means the taker bought:
 * `isBuyerMaker === false`.
 */
export interface Trade {
  /** Execution price (quote currency), > 0. */
  price: number;
  /** Executed quantity (base asset), >= 0. */
  quantity: number;
  /** True when the buyer was the maker, i.e. the taker SOLD into the bid. */
  isBuyerMaker: boolean;
  /** Exchange trade id; increases with time within one symbol. */
  tradeId: number;
  /** Execution time, epoch ms (UTC), of magnitude below 1e14 (the year 5138). */
  time: number;
}

export type TradeSide = 'buy' | 'sell';

/** A trade described by its taker side, as in the shared CSV data (`side` = `buy` | `sell`). */
export interface SidedTrade {
  price: number;
  quantity: number;
  /** Taker side: `buy` lifted the ask, `sell` hit the bid. */
  side: TradeSide;
  tradeId: number;
  time: number;
}

/**
 * Converts from the taker side (`buy` → `isBuyerMaker = false`).
 * @throws InvalidTradeError when `side` is not exactly `buy` or `sell` (e.g. `"SELL"` from untyped input),
 *   which would otherwise silently count a sell as a buy.
 */
export function tradeFromSide(trade: SidedTrade): Trade {
  const side: unknown = trade.side;
  if (side !== 'buy' && side !== 'sell') {
    throw new InvalidTradeError(
      `Invalid trade ${trade.tradeId}: side must be "buy" or "sell" (the taker side), got ${JSON.stringify(side)}`,
    );
  }
  return {
    price: trade.price,
    quantity: trade.quantity,
    isBuyerMaker: trade.side === 'sell',
    tradeId: trade.tradeId,
    time: trade.time,
  };
}

export function takerSideOf(trade: Pick<Trade, 'isBuyerMaker'>): TradeSide {
  return trade.isBuyerMaker ? 'sell' : 'buy';
}

export class InvalidTradeError extends FlowTraceCoreError {
  readonly code = 'FLOWTRACE_INVALID_TRADE';
}

/** Why `trade` cannot be aggregated, or undefined when it can. */
export function explainInvalidTrade(trade: Trade): string | undefined {
  if (!Number.isFinite(trade.price) || trade.price <= 0)
    return `price must be a finite number > 0, got ${trade.price}`;
  if (!Number.isFinite(trade.quantity) || trade.quantity < 0) {
    return `quantity must be a finite number >= 0, got ${trade.quantity}`;
  }
  if (typeof trade.isBuyerMaker !== 'boolean') return 'isBuyerMaker must be a boolean';
  if (!Number.isSafeInteger(trade.tradeId) || trade.tradeId < 0) {
    return `tradeId must be a non-negative integer, got ${trade.tradeId}`;
  }
  if (!Number.isSafeInteger(trade.time)) return `time must be an integer epoch ms, got ${trade.time}`;
  if (Math.abs(trade.time) >= MAX_EPOCH_MS) {
    return `time ${trade.time} is not epoch ms (it looks like microseconds or nanoseconds: convert to ms)`;
  }
  return undefined;
}

export function assertValidTrade(trade: Trade): void {
  const problem = explainInvalidTrade(trade);
  if (problem !== undefined) throw new InvalidTradeError(`Invalid trade ${trade.tradeId}: ${problem}`);
}
