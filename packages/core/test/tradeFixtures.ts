import type { Trade } from '@flowtrace/core';

/** The first trades of the shared LTCUSDT data set (2025-06-21), as `Trade`s. */
export const FIRST_LTC_TRADES: Trade[] = [
  { time: 1750507467356, price: 83.29, quantity: 0.107, isBuyerMaker: false, tradeId: 293517768 },
  { time: 1750507470500, price: 83.29, quantity: 1.39, isBuyerMaker: false, tradeId: 293517769 },
  { time: 1750507471566, price: 83.29, quantity: 0.583, isBuyerMaker: false, tradeId: 293517770 },
  { time: 1750507476168, price: 83.28, quantity: 0.229, isBuyerMaker: true, tradeId: 293517771 },
];

export const FIRST_LTC_MINUTE = 1750507440000;

export const LTC_OPTIONS = {
  exchange: 'binance',
  symbol: 'LTCUSDT',
  tickValue: 0.01,
} as const;

export function trade(
  time: number,
  price: number,
  quantity: number,
  side: 'buy' | 'sell',
  tradeId: number,
): Trade {
  return { time, price, quantity, isBuyerMaker: side === 'sell', tradeId };
}
