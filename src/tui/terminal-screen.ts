import { StringDecoder } from 'node:string_decoder';
import { RESET_MODES } from '../cli/attach.js';

/** The alternate screen keeps the user's screen and scrollback as they were; the cursor hides. */
const ENTER = '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J';
/** Every mode the dashboard or an agent attached from it may have set, then the user's own screen. */
const LEAVE = `${RESET_MODES}\x1b[?1049l`;

/**
 * The person's terminal while `orchestra ui` runs: raw keys in, a full-screen frame out
 * (only the rows that changed are written), and the terminal given back as it was — on
 * quit, on a signal, on a crash, and for a while in between (an attach, the editor).
 */
export class TerminalScreen {
  private previous: string[] = [];
  private active = false;
  /** A character may come in two reads: the decoder holds its first bytes until the rest arrive. */
  private readonly decoder = new StringDecoder('utf8');
  private readonly onData = (chunk: Buffer) => this.input(this.decoder.write(chunk));
  private readonly onResize = () => {
    this.previous = [];
    this.redraw();
  };
  /** The terminal is restored whatever ends the process: crash, signal, exit. */
  private readonly onExit = () => this.restore();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.restore();
    process.exit(128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15));
  };
  private readonly onCrash = (error: unknown) => {
    this.restore();
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`orchestra: ui: unexpected error: ${message}${process.env.ORCHESTRA_DEBUG === '1' && error instanceof Error ? `\n${error.stack}` : ' (ORCHESTRA_DEBUG=1 shows details)'}\n`);
    process.exit(1);
  };
  /** Stopped and continued by someone else (kill -TSTP, then fg): the shell may have cooked the terminal meanwhile. */
  private readonly onContinue = () => {
    if (!this.active) return;
    process.stdin.setRawMode(true);
    process.stdout.write(ENTER);
    this.previous = [];
    this.redraw();
  };
  /** Between start and stop: the terminal may hold modes that must be undone. */
  private started = false;

  constructor(
    private readonly input: (text: string) => void,
    private readonly redraw: () => void,
  ) {}

  get cols(): number {
    return process.stdout.columns || 80;
  }

  get rows(): number {
    return process.stdout.rows || 24;
  }

  start(): void {
    this.started = true;
    for (const [event, listener] of this.processListeners()) process.on(event, listener);
    process.stdout.on('resize', this.onResize);
    this.resume();
  }

  /** What the process may do to the dashboard: crash, get a signal, exit, be continued after ctrl-z. */
  // any: the type Node's own listener signature uses.
  private processListeners(): Array<[string, (...args: any[]) => void]> {
    return [
      ['exit', this.onExit],
      ['uncaughtException', this.onCrash],
      ['unhandledRejection', this.onCrash],
      ...SIGNALS.map((signal): [string, (signal: NodeJS.Signals) => void] => [signal, this.onSignal]),
      ['SIGCONT', this.onContinue],
    ];
  }

  /** Draws a frame: one string per row, cut to the width already; rows that did not change are not written. */
  draw(lines: string[]): void {
    if (!this.active) return;
    let out = '';
    for (let row = 0; row < this.rows; row++) {
      const line = lines[row] ?? '';
      if (this.previous[row] === line) continue;
      out += `\x1b[${row + 1};1H\x1b[0m${line}\x1b[0m\x1b[K`;
    }
    this.previous = lines.slice(0, this.rows);
    if (out) process.stdout.write(out);
  }

  /** ctrl-l: the next frame is drawn whole, on a cleared screen (after something else wrote to the terminal). */
  invalidate(): void {
    this.previous = [];
    if (this.active) process.stdout.write('\x1b[H\x1b[2J');
  }

  /**
   * Gives the terminal back for a while (the editor, an attach); `resume` takes it again.
   * `keepScreen` stays on the alternate screen, for a program that draws on it (attach).
   */
  suspend(keepScreen = false): void {
    if (!this.active) return;
    this.active = false;
    this.release(keepScreen);
  }

  resume(): void {
    if (this.active) return;
    this.active = true;
    this.previous = [];
    process.stdin.setRawMode(true);
    process.stdin.resume();
    process.stdin.on('data', this.onData);
    process.stdout.write(ENTER);
  }

  /**
   * ctrl-z: the terminal goes back to the shell, which stops the process; `fg` brings the
   * dashboard back. Where nobody does job control the stop signal is discarded, and the
   * dashboard comes back at once.
   */
  backgroundSelf(): void {
    this.suspend();
    // The whole process group, as vim and less do: a shell running us (sh -c) stops too, so the user's shell gets the terminal.
    process.kill(0, 'SIGTSTP');
    // Here once continued (or never stopped).
    this.resume();
  }

  /** Ends: the terminal as it was before `start`. */
  stop(): void {
    this.restore();
    for (const [event, listener] of this.processListeners()) process.removeListener(event, listener);
    process.stdout.removeListener('resize', this.onResize);
  }

  /** Also while suspended: an agent attached from the dashboard may have set modes of its own. */
  private restore(): void {
    if (!this.started) return;
    this.started = false;
    this.active = false;
    this.release(false);
  }

  /** Stops reading keys; unless `keepScreen`, leaves the alternate screen and raw mode too. */
  private release(keepScreen: boolean): void {
    process.stdin.removeListener('data', this.onData);
    process.stdin.pause();
    // An attach draws on the alternate screen in raw mode too: no flash of the user's screen, no echo in between.
    if (keepScreen) return;
    process.stdout.write(LEAVE);
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
  }
}

const SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;
