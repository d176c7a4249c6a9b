/**
 * Screen patterns come from config files (a repository's too) and run in the holder on
 * every screen change: one that backtracks without end would freeze the holder, and with it
 * the agent's terminal. JavaScript's regular expressions have no time bound, so the shapes
 * that backtrack catastrophically are refused when the config is read: a repeated group that
 * itself repeats without bound (`(a+)+`, `(\w+\s?)*`), backreferences, and very long patterns.
 * Deliberately strict: a screen pattern needs none of these.
 */
const MAX_PATTERN_LENGTH = 500;

/** Why `source` could backtrack without end, or undefined when its shape cannot. */
export function backtrackingRisk(source: string): string | undefined {
  if (source.length > MAX_PATTERN_LENGTH) return `it is longer than ${MAX_PATTERN_LENGTH} characters`;
  // For each open group: whether it holds an unbounded repetition.
  const groups: boolean[] = [];
  let repeats = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      if (/[1-9k]/.test(source[i + 1] ?? '')) return 'it uses a backreference';
      i++;
      continue;
    }
    if (c === '[') {
      // A class is one character, whatever is in it.
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
      continue;
    }
    if (c === '(') {
      groups.push(repeats);
      repeats = false;
      continue;
    }
    if (c === ')') {
      const inner: boolean = repeats;
      repeats = groups.pop() ?? false;
      if (inner && unbounded(source, i + 1)) return 'a repeated group in it repeats without bound inside (as in (a+)+), which can take forever on some screens';
      repeats ||= inner || unbounded(source, i + 1);
      continue;
    }
    if (unbounded(source, i)) repeats = true;
  }
  return undefined;
}

/** Whether an unbounded quantifier (*, +, {n,}) starts at `at`. */
function unbounded(source: string, at: number): boolean {
  const c = source[at];
  if (c === '*' || c === '+') return true;
  return c === '{' && /^\{\d*,\}/.test(source.slice(at));
}
