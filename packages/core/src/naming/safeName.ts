/**
 * Exchange and symbol names become path segments (`{baseDir}/{exchange}/{symbol}/…`)
 * and SQLite keys. They are restricted to a conservative alphabet so that `..`,
 * `/`, `\`, NUL, control characters and other surprises are impossible by
 * construction, not by escaping: 1 to 64 characters of `A-Z a-z 0-9 _ - .`,
 * starting with a letter or digit (so never `.` or `..`).
 */
export const SAFE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const SAFE_NAME_MAX_LENGTH = 64;

export function isSafeName(value: unknown): value is string {
  return typeof value === 'string' && SAFE_NAME_PATTERN.test(value) && !value.includes('..');
}

/** Why `value` is not a safe name, or `undefined` when it is. */
export function explainUnsafeName(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > SAFE_NAME_MAX_LENGTH) return `must be at most ${SAFE_NAME_MAX_LENGTH} characters`;
  if (value.includes('..')) return 'must not contain ".."';
  if (!SAFE_NAME_PATTERN.test(value)) {
    return 'must start with a letter or digit and contain only letters, digits, "_", "-" and "."';
  }
  return undefined;
}
