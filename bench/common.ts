/**
 * What the terminal benches share: a scratch directory with a git repository and an
 * isolated ORCHESTRA_HOME, the CLI, tmux and dtach sessions of the same app, a PTY the
 * bench owns to run a client in, and the statistics they report.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type IPty } from 'node-pty';
import { processMemory } from '../src/platform/process-memory.js';
import { scratchDir } from '../src/platform/runtime-dir.js';

export const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export function has(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
}

/** Says which of tmux and dtach are missing (bench/install-tools.sh installs them). */
export function comparedTools(): { tmux: boolean; dtach: boolean } {
  const tools = { tmux: has('tmux'), dtach: has('dtach') };
  for (const [name, present] of Object.entries(tools)) if (!present) console.log(`${name} is not installed: left out (bench/install-tools.sh installs it).`);
  return tools;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** The nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** RSS and PSS of a process in MiB (src/platform/process-memory.ts: PSS is RSS where the OS has none). */
export const memory = (pid: number) => processMemory(pid);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms until it is true; fails after `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * A scratch world for one bench: `root` holds a repository whose config names the given
 * agent profiles, an ORCHESTRA_HOME, a tmux server and dtach sockets; `close` stops them all.
 */
export class Rig {
  readonly root = realpathSync(mkdtempSync(join(scratchDir(), 'orch-bench-')));
  readonly repo = join(this.root, 'repo');
  readonly env: Record<string, string>;
  private readonly tmuxSocket = `orch-bench-${process.pid}`;
  private readonly dtachSockets: string[] = [];
  private tasks = 0;

  constructor(options: { tmuxHistory?: number } = {}) {
    this.env = { ...(process.env as Record<string, string>), ORCHESTRA_HOME: join(this.root, 'home'), NO_COLOR: '1', TERM: 'xterm-256color' };
    delete this.env.ORCHESTRA_SOCKET;
    execFileSync('git', ['init', '-q', '-b', 'main', this.repo]);
    execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '--allow-empty', '-m', 'init'], { cwd: this.repo });
    mkdirSync(join(this.repo, '.orchestra'));
    // No status line (the app gets every row, as under the others); as much history as asked.
    writeFileSync(join(this.root, 'tmux.conf'), `set -g status off\nset -g history-limit ${options.tmuxHistory ?? 2000}\n`);
  }

  /** Names the agent profiles the repository's config offers. */
  agents(profiles: Record<string, string[]>): void {
    const lines = Object.entries(profiles).map(([name, argv]) => `  ${name}: { command: ${JSON.stringify(argv)} }`);
    writeFileSync(join(this.repo, '.orchestra', 'config.yaml'), `agents:\n${lines.join('\n')}\n`);
  }

  file(name: string): string {
    return join(this.root, name);
  }

  orchestra(args: string[], env: Record<string, string> = {}): string {
    return execFileSync(process.execPath, [CLI, ...args], { cwd: this.repo, env: { ...this.env, ...env }, encoding: 'utf8' });
  }

  /**
   * Creates and starts a task with `agent`, from a terminal of the given size (the agent's
   * first size), with `env` added to the agent's environment. Returns its id.
   */
  async startTask(agent: string, env: Record<string, string> = {}, cols = 80, rows = 24): Promise<string> {
    const id = String(++this.tasks);
    this.orchestra(['new', `${agent}-${id}`, '-m', 'bench', '--agent', agent]);
    const pty = this.client([process.execPath, CLI, 'start', id], cols, rows, env);
    const code = await new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
    if (code !== 0) throw new Error(`orchestra start ${id} failed`);
    return id;
  }

  stopTask(id: string): void {
    spawnSync(process.execPath, [CLI, 'stop', id, '--force'], { cwd: this.repo, env: this.env });
  }

  /** The pid of the holder of task `id`. */
  holderPid(id: string): number {
    const dir = join(this.env.ORCHESTRA_HOME!, 'run', 'holders');
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      const meta = JSON.parse(readFileSync(join(dir, name), 'utf8'));
      if (String(meta.task?.id) === id) return meta.pid;
    }
    throw new Error(`no holder for task ${id}`);
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.tmuxSocket, '-f', this.file('tmux.conf'), ...args], { env: this.env, encoding: 'utf8' });
  }

  /** Starts `argv` in a detached tmux session of the given size; returns the attach command. */
  tmuxSession(name: string, argv: string[], cols = 80, rows = 24): string[] {
    this.tmux('new-session', '-d', '-s', name, '-x', String(cols), '-y', String(rows), ...argv);
    return ['tmux', '-L', this.tmuxSocket, 'attach', '-t', name];
  }

  tmuxServerPid(): number {
    return Number(this.tmux('display', '-p', '#{pid}').trim());
  }

  killTmuxSession(name: string): void {
    spawnSync('tmux', ['-L', this.tmuxSocket, 'kill-session', '-t', name]);
  }

  /** Starts `argv` under a dtach master (redraw by SIGWINCH); returns the socket. */
  dtachSession(name: string, argv: string[]): string {
    const socket = this.file(`${name}.dtach`);
    execFileSync('dtach', ['-n', socket, '-r', 'winch', ...argv], { env: this.env });
    this.dtachSockets.push(socket);
    return socket;
  }

  dtachMasterPid(socket: string): number {
    return Number(execFileSync('pgrep', ['-o', '-f', `dtach -n ${socket}`], { encoding: 'utf8' }).trim().split('\n')[0]);
  }

  killDtach(socket: string): void {
    spawnSync('pkill', ['-f', `dtach -n ${socket}`]);
  }

  /** A PTY of the bench's own — the user's terminal — running `argv`. */
  client(argv: string[], cols = 80, rows = 24, env: Record<string, string> = {}): IPty {
    return spawn(argv[0]!, argv.slice(1), { name: 'xterm-256color', cols, rows, cwd: this.repo, env: { ...this.env, ...env } });
  }

  close(): void {
    for (let id = 1; id <= this.tasks; id++) this.stopTask(String(id));
    spawnSync(process.execPath, [CLI, 'daemon', 'stop'], { env: this.env });
    spawnSync('tmux', ['-L', this.tmuxSocket, 'kill-server']);
    for (const socket of this.dtachSockets) if (existsSync(socket)) this.killDtach(socket);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Prints rows of `name, value` with each value's ratio to `ours` (value / ours or ours / value). */
export function ratioTable(title: string, unit: string, rows: [string, number][], ours: string, oursOver = true): void {
  const base = rows.find(([name]) => name === ours)?.[1];
  console.log(title);
  for (const [name, value] of rows) {
    const ratio = base === undefined ? '' : `   orchestra is ${(oursOver ? base / value : value / base).toFixed(2)}× this`;
    console.log(`  ${name.padEnd(28)} ${value.toFixed(value < 10 ? 2 : 1).padStart(9)} ${unit}${name === ours ? '' : ratio}`);
  }
}
