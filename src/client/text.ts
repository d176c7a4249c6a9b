/**
 * How many terminal columns a character takes: two for the East Asian wide and fullwidth
 * ranges and emoji, none for combining marks, one otherwise. A close approximation of
 * wcwidth for text that was not drawn by a terminal (a stored screen), enough to cut it
 * without running past the pane's edge.
 */
export function charColumns(codePoint: number): number {
  if (codePoint < 0x300) return 1;
  if ((codePoint >= 0x300 && codePoint <= 0x36f) || (codePoint >= 0x200b && codePoint <= 0x200f) || (codePoint >= 0xfe00 && codePoint <= 0xfe0f)) return 0;
  const wide =
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    // Symbols and emoji: some are one column in some terminals, but counting two only ever leaves a blank.
    (codePoint >= 0x2600 && codePoint <= 0x27bf) ||
    (codePoint >= 0x2b00 && codePoint <= 0x2bff) ||
    (codePoint >= 0x1f000 && codePoint <= 0x1faff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd);
  return wide ? 2 : 1;
}

/** How many columns `text` takes on a terminal (no escape sequences in it). */
export function columnsOf(text: string): number {
  let columns = 0;
  for (const char of text) columns += charColumns(char.codePointAt(0)!);
  return columns;
}

/**
 * Untrusted text (a task file's title, description or front matter, an agent's report, a
 * log, an error that quotes them) made safe to print on a terminal while staying readable:
 * control characters are shown, never interpreted and never dropped. ESC, BEL and the other
 * C0 controls, DEL, and the C1 controls (U+0080-U+009F, which some terminals obey like ESC
 * sequences) are written as JavaScript writes them: `\x1b`, `\x07`, `\x9b`, and tab, line
 * feed and carriage return as `\t`, `\n`, `\r`. So are the bidirectional overrides and
 * isolates (U+202A-U+202E, U+2066-U+2069), which reorder what follows them on the screen:
 * `\u202e`. With `multiline`, line feeds, tabs and \r\n line ends stay as they are (a
 * description, a log): none of them can overwrite or hide what was printed before.
 */
export function terminalSafe(text: string, options: { multiline?: boolean } = {}): string {
  return text.replace(options.multiline ? UNSAFE_IN_LINES : UNSAFE_IN_A_ROW, escapeControl);
}

const UNSAFE_IN_A_ROW = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_IN_LINES = /\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
const SHORT_ESCAPES: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeControl(char: string): string {
  const code = char.charCodeAt(0);
  const hex = code.toString(16);
  return SHORT_ESCAPES[char] ?? (code < 0x100 ? `\\x${hex.padStart(2, '0')}` : `\\u${hex}`);
}

/** A copy of `record` (a task) whose text fields are terminalSafe, one row each: whichever fields get printed, none is raw. */
export function terminalSafeFields<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, typeof value === 'string' ? terminalSafe(value) : value])) as T;
}

/**
 * A program's output (a setup script's progress, an agent's stored screen) made safe to draw
 * in one row: escape sequences and control characters go, a carriage return keeps only what
 * was written after it (a progress bar's last state), tabs and line breaks become spaces.
 * Text that is read rather than watched (a title, a reason, an error) is terminalSafe instead.
 */
export function printable(text: string): string {
  const trimmed = text.replace(/\r\n/g, '\n').replace(/[\r\n]+$/, '');
  return trimmed
    .slice(trimmed.lastIndexOf('\r') + 1)
    .replace(/\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g, '')
    .replace(/[\t\n]/g, ' ')
    .replace(/[\x00-\x1f\x7f-\x9f]/g, '');
}

/** Plain text cut to at most `width` columns. */
export function cutToColumns(text: string, width: number): string {
  let used = 0;
  let out = '';
  for (const char of text) {
    const columns = charColumns(char.codePointAt(0)!);
    if (used + columns > width) break;
    used += columns;
    out += char;
  }
  return out;
}
