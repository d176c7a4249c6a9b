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
 * Text from elsewhere (a setup script's output, a task's title, a daemon's sentence) made
 * safe to draw in one row: escape sequences and control characters go, a carriage return
 * keeps only what was written after it (a progress bar's last state), tabs and line breaks become spaces.
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
