/** What a store says about its own files, when it can (the `.ftcd` store's `health()`). */
export interface StoreDiagnostics {
  problems: Array<{ code: string; path: string; message: string; offset?: number }>;
  repairs: Array<{ kind: string; path: string }>;
}

/**
 * Codes after which a file is quarantined (not read, not written): data is at
 * risk and an operator must act, so health turns unhealthy. Other codes
 * (e.g. an unexpected file name) only degrade.
 */
export const QUARANTINE_PROBLEM_CODES: ReadonlySet<string> = new Set([
  'FTCD_CORRUPT_BLOCK',
  'FTCD_BAD_FILE_HEADER',
  'FTCD_IDENTITY_MISMATCH',
  'FTCD_BAD_BLOCK_CONTENT',
  'FTCD_IO_ERROR',
]);

/** Reads `store.health()` when the store has one; stores without it report nothing. */
export function readStoreDiagnostics(store: unknown): StoreDiagnostics | undefined {
  if (typeof store !== 'object' || store === null) return undefined;
  const health = (store as { health?: unknown }).health;
  if (typeof health !== 'function') return undefined;
  const report: unknown = health.call(store);
  if (typeof report !== 'object' || report === null) return undefined;
  const { problems, repairs } = report as { problems?: unknown; repairs?: unknown };
  return {
    problems: Array.isArray(problems) ? problems.filter(isProblem) : [],
    repairs: Array.isArray(repairs) ? repairs.filter(isRepair) : [],
  };
}

function isProblem(value: unknown): value is StoreDiagnostics['problems'][number] {
  const v = value as Record<string, unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.code === 'string' &&
    typeof v.path === 'string' &&
    typeof v.message === 'string'
  );
}

function isRepair(value: unknown): value is StoreDiagnostics['repairs'][number] {
  const v = value as Record<string, unknown> | null;
  return typeof v === 'object' && v !== null && typeof v.kind === 'string' && typeof v.path === 'string';
}
