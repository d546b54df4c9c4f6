import { checkCandleRules } from './candleRules';
import { footprintCandleShapeSchema } from './footprintCandleSchema';

/**
 * The DTO schema with defaults (e='CANDLESTICK', tz='UTC', a='', x=true) and
 * every HARD rule as a refinement, so `footprintCandleSchema.parse()` accepts
 * exactly what non-strict `validateFootprintCandle` accepts. Each custom issue
 * carries its rule id in `params.rule`.
 */
export const footprintCandleSchema = footprintCandleShapeSchema.superRefine((candle, context) => {
  for (const violation of checkCandleRules(candle)) {
    if (violation.severity !== 'error') continue;
    context.addIssue({
      code: 'custom',
      path: violation.path,
      message: violation.message,
      params: { rule: violation.rule },
    });
  }
});
