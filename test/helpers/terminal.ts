import xtermHeadless from '@xterm/headless';
import { spawn, type IPty } from 'node-pty';

const { Terminal } = xtermHeadless;

/**
 * A person's terminal for tests: a real PTY running a program, its output rendered by a
 * headless xterm, so a test reads the screen as the person would see it and types keys.
 */
export class TestTerminal {
  readonly pty: IPty;
  readonly xterm: InstanceType<typeof Terminal>;
  /** Every byte the program wrote, as the terminal received it. */
  transcript = '';
  private exitStatus: number | undefined;
  private readonly exited: Promise<number>;

  constructor(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; cols?: number; rows?: number }) {
    const cols = options.cols ?? 100;
    const rows = options.rows ?? 30;
    this.xterm = new Terminal({ cols, rows, allowProposedApi: true, scrollback: 1000 });
    this.pty = spawn(file, args, { name: 'xterm-256color', cwd: options.cwd, env: options.env as Record<string, string>, cols, rows });
    this.pty.onData((data) => {
      this.transcript += data;
      this.xterm.write(data);
    });
    // The user's terminal answers queries as a real one would.
    this.xterm.onData((reply) => this.pty.write(reply));
    this.exited = new Promise((resolve) => this.pty.onExit(({ exitCode }) => resolve((this.exitStatus = exitCode))));
  }

  /** The visible screen, one string per row, trailing blanks cut. */
  screen(): string {
    const buffer = this.xterm.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < this.xterm.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    return lines.join('\n');
  }

  /** Waits until everything received so far is rendered. */
  flush(): Promise<void> {
    return new Promise((resolve) => this.xterm.write('', resolve));
  }

  /** Waits until the screen shows `pattern`; fails with the screen in the message. */
  async waitFor(pattern: string | RegExp, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.flush();
      const screen = this.screen();
      if (typeof pattern === 'string' ? screen.includes(pattern) : pattern.test(screen)) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; the screen shows:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  }

  write(data: string): void {
    this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    this.pty.resize(cols, rows);
    this.xterm.resize(cols, rows);
  }

  get exitCode(): number | undefined {
    return this.exitStatus;
  }

  waitExit(timeoutMs = 10_000): Promise<number> {
    return Promise.race([this.exited, new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`the program did not exit; screen:\n${this.screen()}`)), timeoutMs).unref())]);
  }

  kill(): void {
    try {
      this.pty.kill('SIGKILL');
    } catch {
      // Gone.
    }
  }
}
