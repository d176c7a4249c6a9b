import { homedir } from 'node:os';
import type { TaskInfo, TaskProblem, TaskStatus } from '../../protocol/daemon.js';
import { charColumns, columnsOf, terminalSafe } from '../client/text.js';

/** Colour only on a terminal and never with NO_COLOR (https://no-color.org). */
function useColor(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
}

const CODES = { bold: 1, dim: 2, inverse: 7, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36 } as const;
export type Style = keyof typeof CODES;

export function paint(text: string, style: Style, enabled = useColor()): string {
  return enabled ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;
}

export const STATUS_STYLE: Record<TaskStatus, Style> = {
  draft: 'dim',
  running: 'green',
  idle: 'yellow',
  completed: 'cyan',
  reviewed: 'blue',
};

/** For a finished task: what its branch would bring to the base, and whether it merges cleanly; or that it was merged. */
export function branchSummary(task: TaskInfo, color = useColor()): string {
  if (task.merged_commit) return paint(`merged ${task.merged_commit.slice(0, 7)}`, 'dim', color);
  const changes = task.changes;
  if (!changes) return '';
  if (changes.ahead === 0) return paint('nothing to merge', 'dim', color);
  const size = `+${changes.ahead}, ${changes.files} file${changes.files === 1 ? '' : 's'}`;
  return changes.conflicts.length > 0 ? `${size}, ${paint('conflicts', 'red', color)}` : `${size}, ${paint('clean', 'green', color)}`;
}

/** ● when an agent runs, how many watch it, and ? when it waits for a person's answer. */
export function liveness(task: TaskInfo, color = useColor()): string {
  if (!task.alive) return '';
  const viewers = task.viewers > 0 ? ` ${task.viewers} viewer${task.viewers > 1 ? 's' : ''}` : '';
  return `${paint(`●${viewers}`, 'green', color)}${task.waiting ? paint(' ?', 'yellow', color) : ''}`;
}

/**
 * A file that cannot be read, as a sentence for a terminal (its name and the reason may quote
 * the file's text); a config error's message names its file already.
 */
export function problemSentence(problem: TaskProblem): string {
  return terminalSafe(problem.reason.includes(problem.path) ? problem.reason : `cannot read ${problem.path}: ${problem.reason}.`);
}

/** A path under the home directory as ~/…, as people write it. */
export function tildify(path: string): string {
  const home = homedir();
  return path === home || path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

/** "just now", "5m ago", "3h ago", "2d ago" — for a timestamp from a task file. */
export function age(timestamp: string | null, now = Date.now()): string {
  if (!timestamp) return '';
  const then = Date.parse(timestamp);
  if (Number.isNaN(then)) return timestamp;
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 60) return 'just now';
  const units: Array<[number, string]> = [
    [60 * 60 * 24, 'd'],
    [60 * 60, 'h'],
    [60, 'm'],
  ];
  for (const [size, unit] of units) if (seconds >= size) return `${Math.floor(seconds / size)}${unit} ago`;
  return 'just now';
}

/**
 * Lays out rows in columns padded to the widest cell. With a `width` (a terminal's) the
 * columns are fitted to it: the widest cells of the other columns are cut (with …) before
 * the last column loses its room, so one long slug or branch costs its own row a few
 * characters rather than every row its title; what still overflows is cut at the width.
 * Without one, every cell stays whole (a pipe, a file).
 */
export function table(rows: string[][], options: { indent?: string; width?: number | undefined } = {}): string[] {
  const indent = options.indent ?? '';
  // A column with nothing in it (say, no agent alive yet) takes no room.
  const used = rows[0]?.map((_, i) => rows.some((row) => row[i] !== '')) ?? [];
  rows = rows.map((row) => row.filter((_, i) => used[i]));
  let widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  if (options.width) widths = fittedWidths(widths, options.width - visibleLength(indent));
  return rows.map((row) => {
    let line = indent + row.map((cell, i) => (i === row.length - 1 ? cell : pad(truncate(cell, widths[i]!), widths[i]!))).join('  ');
    line = line.trimEnd();
    return options.width ? truncate(line, options.width) : line;
  });
}

/** The narrowest a column is cut to: one character and the ellipsis. */
const NARROWEST_COLUMN = 2;

/**
 * Column widths (two spaces apart) that fit `room`: the last column keeps up to a third of
 * it, and the other columns share the rest, the widest giving up room first — none is cut
 * below the widest cell that still fits.
 */
export function fittedWidths(widths: number[], room: number): number[] {
  const last = widths.length - 1;
  const gaps = 2 * last;
  if (last < 1 || widths.reduce((sum, width) => sum + width, gaps) <= room) return widths;
  const others = widths.slice(0, last);
  let left = room - gaps - Math.min(widths[last]!, Math.floor(room / 3));
  // The largest cap under which the other columns fit in what is left: narrow columns keep
  // their width, and the ones wider than their share are cut to it.
  let cap = Number.POSITIVE_INFINITY;
  const ascending = [...others].sort((a, b) => a - b);
  for (const [i, width] of ascending.entries()) {
    const share = Math.floor(left / (ascending.length - i));
    if (width > share) {
      cap = Math.max(share, NARROWEST_COLUMN);
      break;
    }
    left -= width;
  }
  return [...others.map((width) => Math.min(width, cap)), widths[last]!];
}

/** The text with spaces up to `width` columns. */
export function pad(cell: string, width: number): string {
  return cell + ' '.repeat(Math.max(0, width - visibleLength(cell)));
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** The columns a line takes on a terminal, its colours left out. */
export function visibleLength(text: string): number {
  return columnsOf(text.replace(ANSI, ''));
}

/** The line cut to `width` columns with an ellipsis, colours kept. */
export function truncate(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; ) {
    const escape = line.slice(i).match(/^\x1b\[[0-9;]*m/);
    if (escape) {
      out += escape[0];
      i += escape[0].length;
      continue;
    }
    const char = String.fromCodePoint(line.codePointAt(i)!);
    const columns = charColumns(char.codePointAt(0)!);
    // Room is left for the ellipsis.
    if (visible + columns > width - 1) return `${out}…${line.includes('\x1b[') ? '\x1b[0m' : ''}`;
    out += char;
    visible += columns;
    i += char.length;
  }
  return out;
}
