/** "Did you mean" matching for task references, statuses and agent names. */

/** Inputs longer than this get no suggestions: slugs stop at 64 characters, branch names rarely pass 100. */
export const MAX_SUGGESTED_LENGTH = 200;

/** Up to `limit` of `candidates` whose key is close to `input`: a prefix, a substring, or a few edits away. */
export function closestMatches<T>(input: string, candidates: readonly T[], key: (candidate: T) => string = String, limit = 3): T[] {
  // Names are short: a long input is no misspelt name, and comparing it costs its length
  // times each candidate's (a 3 MB "name" once held the daemon for half a minute).
  if (input.length > MAX_SUGGESTED_LENGTH) return [];
  const needle = input.toLowerCase();
  const scored = candidates
    .map((candidate) => {
      const name = key(candidate).toLowerCase();
      if (name.length > MAX_SUGGESTED_LENGTH) return { candidate, score: Infinity, name };
      const score = name.startsWith(needle) || name.includes(needle) ? 0 : editDistance(needle, name);
      return { candidate, score, name };
    })
    .filter(({ score, name }) => score <= Math.max(2, Math.floor(Math.min(name.length, needle.length) / 3)))
    .sort((a, b) => a.score - b.score);
  return scored.slice(0, limit).map((s) => s.candidate);
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment): typos are often swaps. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}
