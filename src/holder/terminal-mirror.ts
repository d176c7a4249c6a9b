import xtermHeadless, { type IBuffer } from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';

import { ModeTracker } from './mode-tracker.js';
import type { InputModes } from './typist.js';

const { Terminal } = xtermHeadless;
const { SerializeAddon } = serializeAddon;
/** Lines of history read per turn of the event loop: 10,000 at once would hold up the agent's output for ~300 ms. */
const HISTORY_SLICE = 500;
/**
 * What the serializer assumes of the terminal it draws on, and the stream before a snapshot
 * may have changed: default attributes, no scroll region, no origin or insert mode, ASCII.
 */
const STATE_RESET = '\x1b[0m\x1b[r\x1b[?6l\x1b[4l\x1b(B';
/** What the serializer writes between the main screen and the alternate one. */
const ALTERNATE_SCREEN = '\x1b[?1049h\x1b[H';

/**
 * The holder's copy of the agent's screen: every byte the agent writes is fed to a headless
 * xterm, so the current screen can be sent to a client the moment it attaches, without
 * waiting for the agent to repaint.
 */
export class TerminalMirror {
  private readonly terminal: InstanceType<typeof Terminal>;
  private readonly serializer: InstanceType<typeof SerializeAddon>;
  private readonly modes: ModeTracker;

  constructor(cols: number, rows: number, scrollback: number) {
    this.terminal = new Terminal({ cols, rows, scrollback, allowProposedApi: true });
    this.serializer = new SerializeAddon();
    this.terminal.loadAddon(this.serializer);
    this.modes = new ModeTracker(this.terminal);
  }

  get cols(): number {
    return this.terminal.cols;
  }

  get rows(): number {
    return this.terminal.rows;
  }

  write(data: Uint8Array): void {
    this.terminal.write(data);
  }

  /**
   * Runs `action` once every byte written so far has been parsed, and before any byte
   * written later is: the point where a snapshot matches the stream exactly.
   */
  afterWrites(action: () => void): void {
    this.terminal.write(new Uint8Array(0), action);
  }

  /** Answers the terminal gives to the app's queries (device attributes, cursor position …). */
  onReply(listener: (data: string) => void): void {
    this.terminal.onData(listener);
  }

  resize(cols: number, rows: number): void {
    if (cols !== this.terminal.cols || rows !== this.terminal.rows) this.terminal.resize(cols, rows);
  }

  /**
   * The visible screen as escape sequences that redraw it on a cleared terminal, with the
   * modes the app set, ending with an absolute cursor position (the serializer's relative
   * moves drift when the client's terminal wraps differently). Call it inside afterWrites.
   */
  snapshot(): string {
    const buffer = this.terminal.buffer.active;
    return `${STATE_RESET}${this.activeScreen(true)}${this.modes.replay()}\x1b[${buffer.cursorY + 1};${buffer.cursorX + 1}H`;
  }

  /** How the app wants keys and pastes sent; call it inside afterWrites. */
  inputModes(): InputModes {
    return { bracketedPaste: this.terminal.modes.bracketedPasteMode, keyboardFlags: this.modes.keyboardFlags };
  }

  /** Calls `listener` when the app switches between its main and alternate screen (while parsing). */
  onScreenSwitch(listener: () => void): void {
    this.terminal.buffer.onBufferChange(listener);
  }

  /**
   * The visible screen as plain text, a line per row without trailing blanks; call it inside
   * afterWrites. `toCursor`: the screen as a person reads it, where the row the cursor stands
   * on ends at the cursor when it stands after the row's text — after a prompt such as
   * "(y/n) " the cursor is where the line ends, its blank included.
   */
  screenText(options: { toCursor?: boolean } = {}): string {
    const buffer = this.terminal.buffer.active;
    const rows = plainRows(buffer, buffer.baseY, buffer.baseY + this.terminal.rows).map((row) => row.text.trimEnd());
    const line = buffer.getLine(buffer.baseY + buffer.cursorY);
    if (options.toCursor && line) {
      // The cursor may stand just past the last column (a wrap pending).
      const upToCursor = line.translateToString(false, 0, Math.min(buffer.cursorX, line.length));
      if (upToCursor.trimEnd() === rows[buffer.cursorY]) rows[buffer.cursorY] = upToCursor;
    }
    return rows.join('\n');
  }

  /**
   * The screen as plain text (or with colours), with up to `scrollback` lines of history
   * above it. The screen is read at once (call inside afterWrites), the history after it, a
   * slice per turn of the event loop, so the agent's output flows meanwhile (DESIGN.md §7.3).
   * History that is trimmed off the top meanwhile is left out.
   */
  async text(scrollback: number, ansi: boolean): Promise<string> {
    const buffer = this.terminal.buffer.active;
    const top = buffer.baseY;
    const screen = ansi ? this.activeScreen(false) : plainRows(buffer, top, top + this.terminal.rows);
    const wanted = Math.min(scrollback, top);
    // The alternate screen has no history.
    const history = wanted > 0 && buffer.type === 'normal' ? await this.history(buffer, wanted, ansi) : [];
    // Each coloured slice ends in the colours its last cell had; the next starts from none.
    if (ansi) return [...history.map((slice) => slice.text), screen as string].join('\x1b[0m\r\n');
    const lines: string[] = [];
    for (const { text, wrapped } of [...history, ...(screen as Row[])]) {
      // A line the terminal wrapped is one line of the agent's output.
      if (wrapped && lines.length > 0) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines.join('\n');
  }

  /**
   * The `wanted` lines of history above the screen of `buffer` (the main screen, active when
   * called), oldest first: plain rows, or coloured slices. Rows are read from that buffer
   * even when the app switches screens meanwhile.
   */
  private async history(buffer: IBuffer, wanted: number, ansi: boolean): Promise<Row[]> {
    // The marker follows the screen's top line as output scrolls it and trimming shifts it.
    const marker = this.terminal.registerMarker(-buffer.cursorY);
    const slices: Row[][] = [];
    try {
      for (let read = 0; marker && !marker.isDisposed && read < wanted; ) {
        // A timer, not setImmediate: the headless terminal parses output in timers, so the
        // output that came meanwhile is parsed before the next slice.
        if (read > 0) await new Promise((resolve) => setTimeout(resolve, 0));
        const end = marker.line - read;
        const start = Math.max(0, end - Math.min(HISTORY_SLICE, wanted - read));
        if (start >= end || marker.isDisposed) break;
        slices.unshift(ansi ? [{ text: this.serializer.serialize({ range: { start, end: end - 1 }, excludeAltBuffer: true, excludeModes: true }), wrapped: false }] : plainRows(buffer, start, end));
        read += end - start;
      }
    } finally {
      marker?.dispose();
    }
    return slices.flat();
  }

  /** The visible screen of the buffer the app shows, as escape sequences for a cleared terminal; with the app's modes if asked. */
  private activeScreen(modes: boolean): string {
    const screen = this.serializer.serialize({ scrollback: 0, excludeModes: !modes });
    // Only the screen the app shows: a client has one screen to draw on, and the serializer
    // puts the main screen, then a switch, then the alternate one, which would leave the
    // main screen's text wherever the alternate screen's lines are shorter.
    if (this.terminal.buffer.active.type === 'normal') return screen;
    return screen.slice(screen.indexOf(ALTERNATE_SCREEN) + ALTERNATE_SCREEN.length);
  }

  dispose(): void {
    this.terminal.dispose();
  }
}

/** A row of the terminal as text, and whether it continues the row above (wrapped). */
interface Row {
  text: string;
  wrapped: boolean;
}

/** Rows [start, end) of `buffer` as plain text. */
function plainRows(buffer: IBuffer, start: number, end: number): Row[] {
  const rows: Row[] = [];
  for (let y = start; y < end; y++) {
    const line = buffer.getLine(y);
    rows.push({ text: line?.translateToString(true) ?? '', wrapped: line?.isWrapped ?? false });
  }
  return rows;
}
