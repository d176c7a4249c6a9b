import xtermHeadless from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';

import { ModeTracker } from './mode-tracker.js';

const { Terminal } = xtermHeadless;
const { SerializeAddon } = serializeAddon;
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
    let screen = this.serializer.serialize({ scrollback: 0 });
    // Only the screen the app shows: a client has one screen to draw on, and the serializer
    // puts the main screen, then a switch, then the alternate one, which would leave the
    // main screen's text wherever the alternate screen's lines are shorter.
    if (buffer.type === 'alternate') screen = screen.slice(screen.indexOf(ALTERNATE_SCREEN) + ALTERNATE_SCREEN.length);
    return `${screen}${this.modes.replay()}\x1b[${buffer.cursorY + 1};${buffer.cursorX + 1}H`;
  }

  /** Calls `listener` when the app switches between its main and alternate screen (while parsing). */
  onScreenSwitch(listener: () => void): void {
    this.terminal.buffer.onBufferChange(listener);
  }

  /** The screen as plain text (or with colours), with up to `scrollback` lines of history above it. */
  text(scrollback: number, ansi: boolean): string {
    if (ansi) return this.serializer.serialize({ scrollback });
    const buffer = this.terminal.buffer.active;
    const first = Math.max(0, buffer.baseY - scrollback);
    const lines: string[] = [];
    for (let y = first; y < buffer.baseY + this.terminal.rows; y++) {
      const line = buffer.getLine(y);
      const text = line?.translateToString(true) ?? '';
      // A line the terminal wrapped is one line of the agent's output.
      if (line?.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines.join('\n');
  }

  dispose(): void {
    this.terminal.dispose();
  }
}
