import { closest, distance } from 'fastest-levenshtein';

/** ` (did you mean "X"?)` when a candidate is close enough to be a typo of `value`, else ''. */
export function didYouMean(value: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return '';
  const best = closest(value, [...candidates]);
  const d = distance(value.toLowerCase(), best.toLowerCase());
  return d <= Math.max(2, Math.floor(best.length / 3)) ? ` (did you mean "${best}"?)` : '';
}
