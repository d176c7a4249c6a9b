import type { TaskInfo } from '../../protocol/daemon.js';
import { attach } from '../cli/attach.js';
import { errorMessage } from '../core/errors.js';
import { lastScreen } from '../core/last-screen.js';
import { LiveTasks, taskKey } from '../daemon/live-tasks.js';
import { cutToColumns, printable, terminalSafe, terminalSafeFields } from '../client/text.js';
import { parseKeys, type Key } from './keys.js';
import { listHeight, renderFrame, type StatusMessage } from './layout.js';
import type { Preview } from './preview.js';
import * as actions from './task-actions.js';
import { TerminalScreen } from './terminal-screen.js';

export interface DashboardOptions {
  /** Every project the daemon knows, not only the one at `cwd`. */
  all: boolean;
  cwd: string;
  /** Colours (off with NO_COLOR). */
  color: boolean;
}

/** A line being typed in the status line: the filter, or a new task's slug. */
interface LineInput {
  label: string;
  text: string;
  /** Called on every change (the filter applies as it is typed). */
  changed?: (text: string) => void;
  submit: (text: string) => void;
  cancel: () => void;
}

/** A question answered with one key (the merge's confirmation). */
interface Question {
  text: string;
  answer: (key: string) => void;
}

/** What the preview pane shows for the selected task: its live screen, or what is known of it without one. */
type Pane =
  | { kind: 'live'; key: string; preview: Preview }
  /** Rows ready to draw for a task without an agent: the screen its agent left (shown to its end), or its description (from the top), or an error. */
  | { kind: 'static'; key: string; what: 'last screen' | 'description' | 'error'; lines: string[] }
  | { kind: 'none'; key: string | undefined };

/** How long news stays in the status line. */
const STATUS_MS = 10_000;
/** How often at most the screen is drawn while agents write (a preview follows at this rate). */
const FRAME_MS = 33;
/** Ages ("5m ago") move on even when nothing happens. */
const AGE_TICK_MS = 30_000;
/** How long the selection must rest before its preview connects (holding j is no reason to connect to every agent). */
const PREVIEW_SETTLE_MS = 60;

/**
 * `orchestra ui`: every agent on one screen (DESIGN.md §1's TUI). The task list comes from
 * the daemon's change events, the preview from the selected agent's holder; each key is
 * one of the CLI's operations. Nothing here decides anything the CLI would decide
 * differently: the daemon checks, the dashboard shows.
 */
export class Dashboard {
  private readonly live: LiveTasks;
  private readonly screen: TerminalScreen;
  private selectedKey: string | undefined;
  /** A task to select as soon as the list has it (one just created, which the daemon's change event brings). */
  private wanted: string | undefined;
  private selectedIndex = 0;
  private scroll = 0;
  private filter = '';
  private help = false;
  private input: LineInput | undefined;
  private question: Question | undefined;
  private status: StatusMessage | undefined;
  private pane: Pane = { kind: 'none', key: undefined };
  private paneTimer: NodeJS.Timeout | undefined;
  private frameTimer: NodeJS.Timeout | undefined;
  private lastFrame = 0;
  private ageTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  /** Attached to an agent, or in the editor (or on the way there): the terminal is not ours to draw on. */
  private away = false;
  /** Between Enter and the attach taking the terminal; keys typed meanwhile (`typeAhead`) were meant for the agent. */
  private attaching = false;
  private typeAhead = '';
  private quitting = false;
  private finish!: (code: number) => void;
  private readonly finished = new Promise<number>((resolve) => (this.finish = resolve));

  constructor(private readonly options: DashboardOptions) {
    this.live = new LiveTasks(
      { cwd: options.cwd, all: options.all },
      {
        changed: () => {
          this.followSelection();
          this.requestFrame();
        },
        connection: (state, detail) => this.say(detail, state === 'lost' ? 'error' : 'info'),
      },
    );
    this.screen = new TerminalScreen(
      (text) => this.keys(parseKeys(text)),
      () => this.draw(),
    );
  }

  /** Runs until the person quits; resolves with the exit status. Fails before touching the terminal when the daemon cannot list the tasks. */
  async run(): Promise<number> {
    await this.live.open();
    this.screen.start();
    this.ageTimer = setInterval(() => this.requestFrame(), AGE_TICK_MS);
    this.followSelection();
    this.draw();
    // The preview's headless terminal takes a while to load: after the first frame, not before it.
    void loadPreview();
    return this.finished;
  }

  private quit(): void {
    this.quitting = true;
    clearInterval(this.ageTimer);
    clearTimeout(this.frameTimer);
    clearTimeout(this.paneTimer);
    clearTimeout(this.statusTimer);
    this.closePane();
    this.live.close();
    this.screen.stop();
    this.finish(0);
  }

  // ---- the list ----

  /** The tasks the filter lets through. */
  private visible(): TaskInfo[] {
    const all = this.live.list;
    const words = this.filter.toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length === 0) return all;
    return all.filter((task) => {
      const text = [task.ref, task.title, task.status, task.agent, task.project, task.waiting ? 'waiting' : ''].join(' ').toLowerCase();
      return words.every((word) => text.includes(word));
    });
  }

  private selected(): TaskInfo | undefined {
    return this.visible()[this.selectedIndex];
  }

  /** Keeps the same task selected as the list changes under it; a task that went away hands over to its neighbour. */
  private followSelection(): void {
    const tasks = this.visible();
    const wanted = this.wanted === undefined ? -1 : tasks.findIndex((task) => taskKey(task) === this.wanted);
    if (wanted >= 0) {
      this.selectedKey = this.wanted;
      this.wanted = undefined;
    }
    const index = tasks.findIndex((task) => taskKey(task) === this.selectedKey);
    this.selectedIndex = index >= 0 ? index : Math.max(0, Math.min(this.selectedIndex, tasks.length - 1));
    const selected = tasks[this.selectedIndex];
    this.selectedKey = selected && taskKey(selected);
    this.updatePane(selected);
  }

  private move(delta: number): void {
    const tasks = this.visible();
    if (tasks.length === 0) return;
    this.selectedIndex = Math.max(0, Math.min(tasks.length - 1, this.selectedIndex + delta));
    this.selectedKey = taskKey(tasks[this.selectedIndex]!);
    this.updatePane(tasks[this.selectedIndex]);
    this.draw();
  }

  // ---- the preview pane ----

  /**
   * Points the pane at the selected task: its live screen while an agent runs, else the
   * screen its agent left in the log, else its description. Reconnects only when the task
   * or whether it runs changes.
   */
  private updatePane(task: TaskInfo | undefined): void {
    // A task without an agent is shown afresh whenever it changes (an edit of its description).
    const key = task && `${taskKey(task)}\n${task.alive ? 'live' : `static ${task.updated}`}`;
    if (key === this.pane.key) return;
    // The first pane opens at once; moving on waits for the selection to rest.
    const settle = this.pane.key === undefined ? 0 : PREVIEW_SETTLE_MS;
    this.closePane();
    clearTimeout(this.paneTimer);
    // While away (attached, editing) nothing connects; coming back points the pane anew.
    if (!task || this.away) return;
    this.pane = { kind: 'none', key };
    this.paneTimer = setTimeout(() => void this.openPane(task, key!), settle);
  }

  private async openPane(task: TaskInfo, key: string): Promise<void> {
    try {
      if (task.alive) {
        const info = await actions.terminalOf(task);
        const { Preview } = await loadPreview();
        const preview = await Preview.open(info.socket, () => this.requestFrame());
        if (this.pane.key !== key || this.away) return preview.close();
        this.pane = { kind: 'live', key, preview };
      } else {
        const detail = await actions.detailOf(task);
        if (this.pane.key !== key) return;
        const screen = lastScreen(detail.log);
        this.pane = screen
          ? { kind: 'static', key, what: 'last screen', lines: screen.map(printable) }
          : { kind: 'static', key, what: 'description', lines: ['', ...descriptionRows(detail.description)] };
      }
    } catch (error) {
      // The agent may have ended between the list and the connection: the next change says so.
      if (this.pane.key === key) this.pane = { kind: 'static', key, what: 'error', lines: ['', `  ${terminalSafe(errorMessage(error))}`] };
    }
    this.requestFrame();
  }

  private closePane(): void {
    if (this.pane.kind === 'live') this.pane.preview.close();
    this.pane = { kind: 'none', key: undefined };
  }

  private paneContent(width: number, height: number): { title: string; lines: string[] } {
    const selected = this.selected();
    if (!selected) return { title: 'no task selected', lines: [] };
    // The agent's name and what it waits for come from a task file or an agent's report.
    const task = terminalSafeFields(selected);
    const pane = this.pane;
    if (pane.kind === 'live') {
      const { cols, rows } = pane.preview.size;
      const about = task.waiting ? ` · waits for ${task.waiting}` : '';
      const title = `${task.ref} · ${task.status} · ${task.agent} · ${cols}×${rows}${about}${pane.preview.problem ? ` · ${pane.preview.problem}` : ''}`;
      return { title, lines: pane.preview.lines(width, height, this.options.color) };
    }
    if (pane.kind === 'static') {
      const how = task.exit_code !== null ? `exit code ${task.exit_code}` : 'it was stopped';
      const title =
        pane.what === 'error'
          ? `${task.ref} · ${task.status} · its screen cannot be shown`
          : `${task.ref} · ${task.status} · no agent runs${pane.what === 'last screen' ? ` · its last screen (${how})` : ''} · s starts it`;
      // A stored screen is cut like a live one, ending at its last row in use; a description reads from the top.
      const used = trimTrailingBlank(pane.lines);
      const shown = pane.what === 'last screen' ? used.slice(Math.max(0, used.length - height)) : used.slice(0, height);
      return { title, lines: shown.map((line) => cutToColumns(line, width)) };
    }
    return { title: task.ref, lines: [] };
  }

  // ---- drawing ----

  private requestFrame(): void {
    if (this.frameTimer) return;
    const wait = Math.max(0, this.lastFrame + FRAME_MS - Date.now());
    this.frameTimer = setTimeout(() => {
      this.frameTimer = undefined;
      this.draw();
    }, wait);
  }

  private draw(): void {
    if (this.away) return;
    this.lastFrame = Date.now();
    const { cols, rows } = this.screen;
    if (cols < 30 || rows < 6) {
      this.screen.draw(['Too small:', 'at least', '30×6.', 'q quits.'].slice(0, rows).map((line) => cutToColumns(line, cols)));
      return;
    }
    const tasks = this.visible();
    const height = listHeight(rows, tasks.length);
    // The list scrolls to keep the selection in view.
    if (this.selectedIndex < this.scroll) this.scroll = this.selectedIndex;
    if (this.selectedIndex >= this.scroll + height) this.scroll = this.selectedIndex - height + 1;
    this.scroll = Math.max(0, Math.min(this.scroll, Math.max(0, tasks.length - height)));
    const lines = renderFrame({
      cols,
      rows,
      color: this.options.color,
      project: this.options.all ? undefined : this.live.list[0]?.project ?? this.options.cwd,
      total: this.live.list,
      tasks,
      selected: this.selectedIndex,
      scroll: this.scroll,
      filter: this.filter,
      problems: this.live.problems,
      status: this.statusMessage(),
      help: this.help,
      preview: (width, height) => this.paneContent(width, height),
    });
    this.screen.draw(lines);
  }

  private statusMessage(): StatusMessage | undefined {
    if (this.input) return { text: `${this.input.label}${this.input.text}▏  (enter confirms, esc cancels)`, kind: 'prompt' };
    if (this.question) return { text: this.question.text, kind: 'prompt' };
    return this.status;
  }

  /** Shows a sentence in the status line; news goes after a while (the key hints come back), an error stays until the next key. */
  private say(text: string, kind: StatusMessage['kind'] = 'info'): void {
    // Sentences quote task files, agents' words and the daemon's errors: shown, never obeyed by the terminal.
    const status = { text: terminalSafe(text), kind };
    this.status = status;
    clearTimeout(this.statusTimer);
    if (kind === 'info') {
      this.statusTimer = setTimeout(() => {
        if (this.status !== status) return;
        this.status = undefined;
        this.requestFrame();
      }, STATUS_MS);
    }
    this.requestFrame();
  }

  // ---- keys ----

  private keys(keys: Key[]): void {
    for (const [index, key] of keys.entries()) {
      if (this.quitting) return;
      if (this.attaching) {
        this.typeAhead += keys
          .slice(index)
          .map((k) => k.raw)
          .join('');
        return;
      }
      if (this.away) return;
      this.key(key);
    }
    this.draw();
  }

  private key(key: Key): void {
    if (key.name === 'ctrl-c') return this.quit();
    if (key.name === 'ctrl-l') return this.screen.invalidate();
    if (key.name === 'ctrl-z') return this.screen.backgroundSelf();
    if (this.input) return this.typeLine(this.input, key);
    if (this.question) {
      const question = this.question;
      this.question = undefined;
      this.status = undefined;
      return question.answer(key.name === 'char' ? key.text! : key.name);
    }
    if (this.help) {
      this.help = false;
      return;
    }
    if (this.status?.kind === 'error') this.status = undefined;
    const task = this.selected();
    switch (key.name === 'char' ? key.text : key.name) {
      case 'up':
      case 'k':
        return this.move(-1);
      case 'down':
      case 'j':
        return this.move(1);
      case 'pageup':
        return this.move(-Math.max(1, listHeight(this.screen.rows, this.visible().length) - 1));
      case 'pagedown':
        return this.move(Math.max(1, listHeight(this.screen.rows, this.visible().length) - 1));
      case 'home':
      case 'g':
        return this.move(-Infinity);
      case 'end':
      case 'G':
        return this.move(Infinity);
      case 'q':
        return this.quit();
      case '?':
        this.help = true;
        return;
      case 'escape':
        if (this.filter) this.setFilter('');
        this.status = undefined;
        return;
      case '/':
        return this.startFilter();
      case 'n':
        return this.newTask();
      case 'enter':
        return void this.attachTo(task);
    }
    const name = key.name === 'char' ? key.text! : key.name;
    if (!'sxcrme'.includes(name) || name.length !== 1) return;
    if (!task) return this.say('There is no task selected; n creates one.', 'error');
    switch (name) {
      case 's':
        return this.act(`Starting ${task.ref}…`, () => actions.startAgent(task, { cols: this.screen.cols, rows: this.screen.rows }, (line) => this.say(printable(line))));
      case 'x':
        return this.act(`Stopping ${task.ref}…`, () => actions.stopAgent(task));
      case 'c':
        return this.act(`Completing ${task.ref}…`, () => actions.completeTask(task));
      case 'r':
        return this.act(`Marking ${task.ref} reviewed…`, () => actions.reviewTask(task));
      case 'm':
        return this.confirmMerge(task);
      case 'e':
        return void this.inEditor(() => actions.editTask(task));
    }
  }

  private typeLine(input: LineInput, key: Key): void {
    switch (key.name) {
      case 'enter':
        this.input = undefined;
        return input.submit(input.text);
      case 'escape':
        this.input = undefined;
        return input.cancel();
      case 'backspace':
        input.text = [...input.text].slice(0, -1).join('');
        break;
      case 'ctrl-u':
        input.text = '';
        break;
      case 'char':
        input.text += key.text;
        break;
      default:
        return;
    }
    input.changed?.(input.text);
  }

  // ---- actions ----

  /** Runs an operation in the background: the status line says it is under way, then how it went. */
  private act(progress: string, operation: () => Promise<string>): void {
    this.say(progress);
    operation().then(
      (result) => this.say(result),
      (error: unknown) => this.say(errorMessage(error), 'error'),
    );
  }

  private setFilter(text: string): void {
    this.filter = text;
    this.followSelection();
  }

  private startFilter(): void {
    const before = this.filter;
    // A new filter each time, as in less and vim; Esc brings the last one back.
    this.setFilter('');
    this.input = {
      label: '/',
      text: '',
      changed: (text) => this.setFilter(text),
      submit: (text) => this.setFilter(text.trim()),
      cancel: () => this.setFilter(before),
    };
  }

  private confirmMerge(task: TaskInfo): void {
    this.question = {
      // It names the task's base branch, from its file.
      text: terminalSafe(actions.mergeQuestion(task)),
      answer: (key) => {
        const strategy = key === 'y' ? 'merge' : key === 's' ? 'squash' : undefined;
        if (!strategy) return this.say(`Did not merge ${task.ref}.`);
        this.act(`Merging ${task.ref}…`, () => actions.mergeTask(task, strategy));
      },
    };
  }

  private newTask(): void {
    // In the selected task's project when showing every project; else in this one.
    const cwd = this.options.all ? (this.selected()?.project ?? this.options.cwd) : this.options.cwd;
    this.input = {
      label: 'New task, its slug (such as fix-tests): ',
      text: '',
      submit: (text) => {
        const slug = text.trim();
        if (slug === '') return this.say('No slug, so no task was created.');
        // Checked before the terminal goes to the editor: a bad slug is said here, and nothing is written.
        actions.prepareTask(cwd, slug).then(
          () =>
            this.inEditor(async () => {
              const task = await actions.createTask(cwd, slug);
              this.wanted = taskKey(task);
              return `Created ${task.ref} (${task.status}); s starts its agent.`;
            }),
          (error: unknown) => this.say(errorMessage(error), 'error'),
        );
      },
      cancel: () => this.say('No task was created.'),
    };
  }

  /** Hands the terminal to the person's editor for `operation`, then takes it back. */
  private async inEditor(operation: () => Promise<string>): Promise<void> {
    this.leave(false);
    try {
      this.say(await operation());
    } catch (error) {
      this.say(errorMessage(error), 'error');
    }
    this.comeBack();
  }

  /**
   * Enter: the agent's terminal, until the detach key brings the person back here. From the
   * Enter on, keys are the agent's: what is typed before attach has the terminal is handed
   * on to it, and a second Enter does not attach twice.
   */
  private async attachTo(task: TaskInfo | undefined): Promise<void> {
    if (!task) return this.say('There is no task selected; n creates one.', 'error');
    if (!task.alive) return this.say(`${task.ref} has no running agent to attach to; s starts it.`, 'error');
    this.away = true;
    this.attaching = true;
    let info;
    try {
      info = await actions.terminalOf(task);
    } catch (error) {
      this.away = this.attaching = false;
      this.typeAhead = '';
      this.followSelection();
      return this.say(errorMessage(error), 'error');
    }
    if (this.quitting) return;
    this.leave(true);
    const typeAhead = this.typeAhead;
    this.typeAhead = '';
    this.attaching = false;
    try {
      const end = await attach(info, { onAlternateScreen: true, typeAhead });
      this.say(end.message.replace(/^\[(.*)\]$/, '$1'), end.code === 0 ? 'info' : 'error');
    } catch (error) {
      this.say(errorMessage(error), 'error');
    }
    this.comeBack();
  }

  /** The terminal goes to someone else: an attach, which keeps the alternate screen, or the editor. */
  private leave(keepScreen: boolean): void {
    this.away = true;
    this.closePane();
    this.screen.suspend(keepScreen);
  }

  private comeBack(): void {
    this.away = false;
    if (this.quitting) return;
    this.screen.resume();
    this.followSelection();
    this.draw();
  }
}

let previewModule: Promise<typeof import('./preview.js')> | undefined;

function loadPreview(): Promise<typeof import('./preview.js')> {
  return (previewModule ??= import('./preview.js'));
}

/** A description as pane rows: its line ends and tabs are layout, anything else that would control the terminal is shown. */
function descriptionRows(description: string): string[] {
  return description.split(/\r?\n/).map((line) => `  ${terminalSafe(line.replace(/\t/g, '  '))}`);
}

function trimTrailingBlank(lines: string[]): string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  return lines.slice(0, end);
}
