/** Edit distance (insertions, deletions, substitutions) between two short names. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate `name` most likely misspells (for "did you mean …?" in error
 * messages): the nearest within `maxDistance` edits, the first of equals.
 * `distance` replaces the edit distance (e.g. to ignore case or separators).
 */
export function closestName(
  name: string,
  candidates: Iterable<string>,
  maxDistance: number,
  distance: (known: string, name: string) => number = editDistance,
): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const known of candidates) {
    const d = distance(known, name);
    if (d <= maxDistance && (best === undefined || d < best.distance)) best = { name: known, distance: d };
  }
  return best?.name;
}
