/**
 * Attach: the time from starting `orchestra attach` to a full screen in the user's
 * terminal, against `tmux attach`, `dtach -a` and a raw PTY (`cat` of the same screen) in
 * the same run; and the memory of an idle holder (RSS and PSS) against the tmux server and
 * the dtach master holding the same app. Reported as medians and ratios.
 *
 * The app draws a full 80×24 screen of coloured lines and draws it again on every SIGWINCH
 * (dtach keeps no screen, so it relies on that redraw). The attaching terminal is a real PTY read
 * through a headless xterm: "full" means its last row shows the app's last line.
 *
 * tmux and dtach come from Debian's packages (.ci/run installs them); a missing one is
 * reported and left out.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import xtermHeadless from '@xterm/headless';
import { spawn } from 'node-pty';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const COLS = 80;
const ROWS = 24;

const root = realpathSync(mkdtempSync(join(tmpdir(), 'orch-bench-attach-')));
const env: Record<string, string> = { ...(process.env as Record<string, string>), ORCHESTRA_HOME: join(root, 'home'), NO_COLOR: '1', TERM: 'xterm-256color' };
const repo = join(root, 'repo');
const app = join(root, 'app.js');
const screenFile = join(root, 'screen.txt');
const tmuxSocket = `orch-bench-${process.pid}`;
const dtachSocket = join(root, 'dtach.sock');

const APP = `
const draw = () => {
  const rows = process.stdout.rows || ${ROWS};
  let s = '\\x1b[H\\x1b[2J';
  for (let i = 1; i <= rows; i++) s += '\\x1b[3' + (i % 8) + 'mline ' + String(i).padStart(2) + ' ' + 'x'.repeat(60) + '\\x1b[0m' + (i < rows ? '\\r\\n' : '');
  process.stdout.write(s);
};
// Every SIGWINCH redraws (dtach's redraw method), after Node has read the new size.
process.on('SIGWINCH', () => setImmediate(draw));
draw();
setInterval(() => {}, 1 << 30);
`;

function has(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
}

/** Spawns `argv` in a fresh 80×24 PTY and resolves with the ms until the screen's last row shows the app's last line. */
function timeToFullScreen(argv: string[], detach: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const xterm = new xtermHeadless.Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true });
    const start = process.hrtime.bigint();
    const pty = spawn(argv[0]!, argv.slice(1), { name: 'xterm-256color', cols: COLS, rows: ROWS, cwd: repo, env });
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${argv.join(' ')} showed no full screen in 10 s`)), 10_000);
    const finish = (error?: Error, ms?: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const exited = new Promise<void>((r) => pty.onExit(() => r()));
      if (detach) pty.write(detach);
      else pty.kill();
      void Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]).then(() => {
        pty.kill();
        xterm.dispose();
        if (error) reject(error);
        else resolve(ms!);
      });
    };
    pty.onData((data) => {
      xterm.write(data, () => {
        const last = xterm.buffer.active.getLine(xterm.buffer.active.viewportY + ROWS - 1)?.translateToString(true) ?? '';
        if (last.startsWith(`line ${ROWS}`)) finish(undefined, Number(process.hrtime.bigint() - start) / 1e6);
      });
    });
    xterm.onData((reply) => pty.write(reply));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** RSS and PSS of a process in MiB, from /proc/<pid>/smaps_rollup. */
function memory(pid: number): { rss: number; pss: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)![1]) / 1024;
  return { rss: field('Rss'), pss: field('Pss') };
}

function pidOf(pattern: string): number {
  return Number(execFileSync('pgrep', ['-o', '-f', pattern], { encoding: 'utf8' }).trim().split('\n')[0]);
}

interface Contender {
  name: string;
  argv: string[];
  detach?: string;
  serverPid?: () => number;
}

async function main(): Promise<void> {
  writeFileSync(app, APP);
  // The raw PTY's screen: exactly what the app draws at 80×24.
  let screen = '\x1b[H\x1b[2J';
  for (let i = 1; i <= ROWS; i++) screen += `\x1b[3${i % 8}mline ${String(i).padStart(2)} ${'x'.repeat(60)}\x1b[0m${i < ROWS ? '\r\n' : ''}`;
  writeFileSync(screenFile, screen);

  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '--allow-empty', '-m', 'init'], { cwd: repo });
  mkdirSync(join(repo, '.orchestra'));
  writeFileSync(join(repo, '.orchestra', 'config.yaml'), `agent: app\nagents:\n  app: { command: ${JSON.stringify([process.execPath, app])} }\n`);
  const orchestra = (...args: string[]) => execFileSync(process.execPath, [CLI, ...args], { cwd: repo, env, encoding: 'utf8' });
  orchestra('new', 'bench', '-m', 'Draw a screen');
  orchestra('start', '1');

  const contenders: Contender[] = [
    { name: 'raw PTY (cat of the screen)', argv: ['cat', screenFile] },
    // The floor for any client written for Node: starting Node and printing the screen.
    { name: 'node printing the screen', argv: [process.execPath, '-e', `process.stdout.write(require('fs').readFileSync(${JSON.stringify(screenFile)}))`] },
    {
      name: 'orchestra attach',
      argv: [process.execPath, CLI, 'attach', '1'],
      detach: '\x1c',
      serverPid: () => {
        const dir = join(env.ORCHESTRA_HOME!, 'run', 'holders');
        const meta = readdirSync(dir).find((name) => name.endsWith('.json'))!;
        return JSON.parse(readFileSync(join(dir, meta), 'utf8')).pid;
      },
    },
  ];
  if (has('tmux')) {
    // No status line: the app gets all 24 rows, as under the others.
    writeFileSync(join(root, 'tmux.conf'), 'set -g status off\n');
    execFileSync('tmux', ['-L', tmuxSocket, '-f', join(root, 'tmux.conf'), 'new-session', '-d', '-x', String(COLS), '-y', String(ROWS), process.execPath, app], { env });
    contenders.push({
      name: 'tmux attach',
      argv: ['tmux', '-L', tmuxSocket, 'attach'],
      detach: '\x02d',
      serverPid: () => Number(execFileSync('tmux', ['-L', tmuxSocket, 'display', '-p', '#{pid}'], { encoding: 'utf8' }).trim()),
    });
  } else console.log('tmux is not installed: left out (.ci/run installs it).');
  if (has('dtach')) {
    execFileSync('dtach', ['-n', dtachSocket, '-r', 'winch', process.execPath, app], { env });
    contenders.push({ name: 'dtach -a', argv: ['dtach', '-a', dtachSocket, '-r', 'winch'], detach: '\x1c', serverPid: () => pidOf(`dtach -n ${dtachSocket}`) });
  } else console.log('dtach is not installed: left out (.ci/run installs it).');

  // Let every server settle, and warm caches.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const c of contenders) for (let i = 0; i < 2; i++) await timeToFullScreen(c.argv, c.detach);
  const samples = contenders.map(() => [] as number[]);
  for (let run = 0; run < RUNS; run++) {
    for (const [i, c] of contenders.entries()) samples[i]!.push(await timeToFullScreen(c.argv, c.detach));
  }
  const medians = samples.map(median);
  const ourIndex = contenders.findIndex((c) => c.name === 'orchestra attach');
  const ours = medians[ourIndex]!;
  console.log(`Attach to a full ${COLS}×${ROWS} screen, median of ${RUNS} interleaved runs (node ${process.version}):`);
  contenders.forEach((c, i) => {
    console.log(`  ${c.name.padEnd(30)} ${medians[i]!.toFixed(1).padStart(7)} ms   orchestra is ${(ours / medians[i]!).toFixed(2)}× this`);
  });

  await new Promise((resolve) => setTimeout(resolve, 2000)); // idle
  console.log('Memory of the process that holds the terminal, idle (MiB):');
  const ourMemory = memory(contenders[ourIndex]!.serverPid!());
  for (const c of contenders.filter((c) => c.serverPid)) {
    const m = memory(c.serverPid!());
    console.log(
      `  ${c.name.replace(/ .*/, '').padEnd(10)} RSS ${m.rss.toFixed(1).padStart(6)}  PSS ${m.pss.toFixed(1).padStart(6)}   holder is ${(ourMemory.rss / m.rss).toFixed(1)}× RSS, ${(ourMemory.pss / m.pss).toFixed(1)}× PSS`,
    );
  }
}

try {
  await main();
} finally {
  spawnSync(process.execPath, [CLI, 'stop', '1', '--force'], { cwd: repo, env });
  spawnSync(process.execPath, [CLI, 'daemon', 'stop'], { env });
  spawnSync('tmux', ['-L', tmuxSocket, 'kill-server']);
  if (existsSync(dtachSocket)) spawnSync('pkill', ['-f', `dtach -n ${dtachSocket}`]);
  rmSync(root, { recursive: true, force: true });
}
