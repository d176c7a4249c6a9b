import type { TaskInfo, TaskProblem } from '../../protocol/daemon.js';
import { cutToColumns, terminalSafeFields } from '../client/text.js';
import { age, branchSummary, pad, paint, problemSentence, STATUS_STYLE, table, truncate, visibleLength, type Style } from '../cli/output.js';

/**
 * The dashboard's frame, drawn from its state alone: a header, the task list, a divider
 * naming the selected task, the preview pane, and a status line. Every row is cut to the
 * terminal's width, never wrapped; colours only when `color` (NO_COLOR turns them off,
 * bold, dim and inverse stay, as no-color.org asks).
 */

export interface StatusMessage {
  text: string;
  kind: 'info' | 'error' | 'prompt';
}

export interface FrameState {
  cols: number;
  rows: number;
  color: boolean;
  /** The project shown, or undefined for every project (`--all`). */
  project: string | undefined;
  /** All tasks, for the counts in the header. */
  total: TaskInfo[];
  /** The tasks the filter lets through, in list order. */
  tasks: TaskInfo[];
  selected: number;
  /** The first list row shown (the list scrolls to keep the selection in view). */
  scroll: number;
  filter: string;
  problems: TaskProblem[];
  status: StatusMessage | undefined;
  help: boolean;
  /** The preview pane's content for the selected task, given its size. */
  preview(width: number, height: number): { title: string; lines: string[] };
}

/** Where the list and the preview go: the list gets what its tasks need, up to half the room. */
export function listHeight(rows: number, tasks: number): number {
  const room = Math.max(1, rows - 4); // header, headings, divider, status line
  return Math.min(Math.max(tasks, 1), Math.max(3, Math.floor(room / 2)));
}

export function renderFrame(state: FrameState): string[] {
  const { cols, rows, color } = state;
  const style = (text: string, name: Style) => paint(text, name, color || name === 'bold' || name === 'inverse' || name === 'dim');
  const height = listHeight(rows, state.tasks.length);
  const lines: string[] = [header(state, style)];
  lines.push(...taskList(state, height, style));
  // A long sentence (a refused merge says what to do) takes up to three rows from the preview.
  const status = statusLines(state, style, Math.max(1, Math.min(3, rows - lines.length - 4)));
  const room = rows - lines.length - 1 - status.length;
  const selected = state.tasks[state.selected];
  if (state.help) {
    lines.push(divider('keys', cols, style));
    lines.push(...HELP.slice(0, Math.max(0, room)).map((line) => truncate(line, cols)));
  } else if (room > 0) {
    const pane = state.preview(cols, room);
    lines.push(divider(pane.title, cols, style));
    lines.push(...pane.lines.slice(0, room));
  } else if (selected) {
    lines.push(divider(selected.ref, cols, style));
  }
  while (lines.length < rows - status.length) lines.push('');
  lines.length = Math.min(lines.length, rows - status.length);
  lines.push(...status);
  return lines;
}

function header(state: FrameState, style: (text: string, name: Style) => string): string {
  const counts = new Map<string, number>();
  for (const task of state.total) counts.set(task.status, (counts.get(task.status) ?? 0) + 1);
  const waiting = state.total.filter((task) => task.waiting).length;
  const summary = [...counts].map(([status, n]) => `${n} ${status}`);
  if (waiting > 0) summary.push(`${waiting} waiting for you`);
  const where = state.project ? state.project.slice(state.project.lastIndexOf('/') + 1) : 'all projects';
  const left = ` orchestra · ${where} · ${state.total.length} task${state.total.length === 1 ? '' : 's'}${summary.length ? `: ${summary.join(', ')}` : ''}`;
  const right = `${state.filter ? `filter: ${state.filter} · ` : ''}? help `;
  // The right end (filter, help) stays; the summary gives way.
  const room = state.cols - visibleLength(right);
  const shown = room >= 20 ? truncate(left, room - 1) : truncate(left, state.cols);
  const text = room >= 20 ? `${pad(shown, room)}${right}` : pad(shown, state.cols);
  return style(text, 'inverse');
}

/** Below this width the agent column gives its room to what the task is about (the pane's title names the agent). */
const AGENT_COLUMN_FROM = 100;
/** Slugs longer than this are cut in the list, so that the last column keeps some room. */
const SLUG_WIDTH = 20;

function taskList(state: FrameState, height: number, style: (text: string, name: Style) => string): string[] {
  const columns = ['', 'ID', ...(state.project === undefined ? ['PROJECT'] : []), 'TASK', 'STATUS', ...(state.cols >= AGENT_COLUMN_FROM ? ['AGENT'] : []), 'LIVE', 'AGE', 'ABOUT'];
  if (state.tasks.length === 0) {
    const empty = state.filter
      ? `No task matches '${state.filter}'; / changes the filter, Esc clears it.`
      : state.total.length === 0
        ? 'No tasks yet: n creates one (or orchestra new <slug> in a shell).'
        : 'No tasks to show.';
    return [style(truncate(`   ${columns.slice(1).join('  ')}`, state.cols), 'dim'), truncate(`   ${empty}`, state.cols)];
  }
  const rowsOf = (color: boolean) => [columns, ...state.tasks.map((task, index) => cells(task, columns, index === state.selected ? '›' : ' ', color))];
  // Colours, and a plain copy for the selected row, which is drawn in inverse; both cut to the width alike.
  const painted = table(rowsOf(state.color), { width: state.cols });
  const plain = table(rowsOf(false), { width: state.cols });
  const lines = [style(plain[0]!, 'dim')];
  for (let row = state.scroll; row < Math.min(state.tasks.length, state.scroll + height); row++) {
    lines.push(row === state.selected ? style(pad(plain[row + 1]!, state.cols), 'inverse') : painted[row + 1]!);
  }
  return lines;
}

function cells(info: TaskInfo, columns: string[], marker: string, color: boolean): string[] {
  // Every text field comes from a task file or an agent's report: shown, never obeyed by the terminal.
  const task = terminalSafeFields(info);
  const value: Record<string, () => string> = {
    '': () => marker,
    ID: () => String(task.id),
    PROJECT: () => task.project.slice(task.project.lastIndexOf('/') + 1),
    TASK: () => (task.slug.length > SLUG_WIDTH ? `${task.slug.slice(0, SLUG_WIDTH - 1)}…` : task.slug),
    STATUS: () => paint(task.status, STATUS_STYLE[task.status], color) + (task.waiting ? paint(' ?', 'yellow', color) : ''),
    AGENT: () => task.agent,
    // ● an agent runs, with the number of people watching it.
    LIVE: () => (task.alive ? paint(task.viewers > 0 ? `● ${task.viewers}` : '●', 'green', color) : ''),
    AGE: () => shortAge(task.updated ?? task.created),
    // What needs the person comes first: a question to answer, then what finished work would bring.
    ABOUT: () => (task.waiting ? paint(`waits for ${task.waiting}`, 'yellow', color) : branchSummary(task, color) || task.title),
  };
  return columns.map((column) => value[column]!());
}

/** "now", "5m", "3h", "2d": age() without its words, for a narrow column. */
function shortAge(timestamp: string | null): string {
  return age(timestamp).replace(' ago', '').replace('just now', 'now');
}

function divider(title: string, cols: number, style: (text: string, name: Style) => string): string {
  const text = `── ${title} `;
  const visible = visibleLength(text);
  return visible >= cols ? truncate(text, cols) : `${text}${style('─'.repeat(cols - visible), 'dim')}`;
}

function statusLines(state: FrameState, style: (text: string, name: Style) => string, most: number): string[] {
  const { status, cols } = state;
  if (status) {
    if (status.kind === 'prompt') return [style(truncate(status.text, cols), 'bold')];
    const text = status.kind === 'error' && !state.color ? `! ${status.text}` : status.text;
    const lines = wrap(text, cols, most);
    return status.kind === 'error' && state.color ? lines.map((line) => style(line, 'red')) : lines;
  }
  if (state.problems.length > 0) {
    const more = state.problems.length > 1 ? ` (and ${state.problems.length - 1} more)` : '';
    const text = `${problemSentence(state.problems[0]!)}${more}`;
    return state.color ? [style(truncate(text, cols), 'yellow')] : [truncate(`! ${text}`, cols)];
  }
  return [style(truncate(HINTS, cols), 'dim')];
}

/** Text broken at spaces into at most `most` rows of `width` columns; the last row is cut with an ellipsis if it must be. */
function wrap(text: string, width: number, most: number): string[] {
  const rows: string[] = [];
  let rest = text.trim();
  while (rest !== '' && rows.length < most - 1 && visibleLength(rest) > width) {
    const head = cutToColumns(rest, width);
    const space = head.lastIndexOf(' ');
    const take = space > width / 3 ? head.slice(0, space) : head;
    rows.push(take);
    rest = rest.slice(take.length).trimStart();
  }
  if (rest !== '') rows.push(truncate(rest, width));
  return rows;
}

const HINTS = 'enter attach · s start · x stop · c complete · r reviewed · m merge · n new · e edit · / filter · ? help · q quit';

const HELP = [
  '  ↑ ↓  j k       move (PgUp PgDn Home End too)',
  '  enter          attach to the agent; ctrl-\\ (the detach key) comes back here',
  '  s              start the agent (in its own worktree)',
  '  x              stop the agent; the worktree stays',
  '  c              mark completed',
  '  r              mark reviewed',
  '  m              merge into the base branch, after checks and your yes',
  '  n              new task: its slug here, its description in $EDITOR',
  '  e              edit the task file in $EDITOR',
  '  /              filter by id, slug, title, status, agent or project; Esc clears',
  '  ctrl-l         draw everything again',
  '  ctrl-z         back to the shell; fg returns',
  '  q  ctrl-c      quit (agents keep running)',
  '',
  '  any key closes this help',
];
