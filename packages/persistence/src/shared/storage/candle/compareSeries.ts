/** Orders series by exchange, then symbol, then timeframe name (plain code-unit comparison). */
export function compareSeries(
  a: { exchange: string; symbol: string; timeframe: string },
  b: { exchange: string; symbol: string; timeframe: string },
): number {
  return (
    compareText(a.exchange, b.exchange) ||
    compareText(a.symbol, b.symbol) ||
    compareText(a.timeframe, b.timeframe)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
