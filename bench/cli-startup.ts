/**
 * `orchestra status` with 100 tasks against `node -e 0` on the same machine, as a ratio of
 * medians over interleaved runs (so that machine noise hits both sides alike). The daemon
 * is started first: this measures the CLI a person types all day, not the daemon's start.
 * `orchestra --version` shows the CLI's fixed floor (Node + argument parsing).
 * `orchestra hook running` is what an agent's hook costs (Claude Code runs them in the
 * background; OpenCode's plugin one after another), with an agent running for the task.
 *
 * Goal (issue 2): status ≤ 2.0× node -e 0.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratchDir } from '../src/platform/runtime-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const TASKS = 100;

const root = realpathSync(mkdtempSync(join(scratchDir(), 'orch-bench-')));
const env = { ...process.env, ORCHESTRA_HOME: join(root, 'home'), NO_COLOR: '1' };
const repo = join(root, 'repo');

function setup(): void {
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '--allow-empty', '-m', 'init'], { cwd: repo });
  const tasks = join(repo, '.orchestra', 'tasks');
  mkdirSync(tasks, { recursive: true });
  const statuses = ['draft', 'running', 'idle', 'completed', 'reviewed'];
  for (let id = 1; id <= TASKS; id++) {
    const now = new Date(Date.now() - id * 60_000).toISOString();
    writeFileSync(
      join(tasks, `${id}:task-number-${id}.md`),
      `---\nbase_branch: main\nstatus: ${statuses[id % 5]}\ncreated: ${now}\nupdated: ${now}\n---\n\nDo the thing number ${id}, carefully.\n\nMore words.\n`,
    );
  }
  writeFileSync(join(repo, '.orchestra', 'config.yaml'), `agents:\n  sleeper: { command: [sleep, '600'], idle_after: 600 }\n`);
  execFileSync(process.execPath, [CLI, 'daemon', 'start'], { env });
  execFileSync(process.execPath, [CLI, 'start', '1', '--agent', 'sleeper', '--skip-setup'], { cwd: repo, env, stdio: 'ignore' });
}

function timeOnce(args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const cases: Array<[string, string[]]> = [
  ['node -e 0', ['-e', '0']],
  ['orchestra --version', [CLI, '--version']],
  [`orchestra status (${TASKS} tasks)`, [CLI, 'status']],
  ['orchestra hook running', [CLI, 'hook', 'running', '--task', '1']],
];

try {
  setup();
  for (const [, args] of cases) for (let i = 0; i < 5; i++) timeOnce(args); // warm the file cache
  const samples = cases.map(() => [] as number[]);
  for (let run = 0; run < RUNS; run++) cases.forEach(([, args], i) => samples[i]!.push(timeOnce(args)));
  const baseline = median(samples[0]!);
  console.log(`CLI start-up, median of ${RUNS} interleaved runs (node ${process.version}):`);
  cases.forEach(([name], i) => {
    const m = median(samples[i]!);
    console.log(`  ${name.padEnd(30)} ${m.toFixed(1).padStart(7)} ms  ${(m / baseline).toFixed(2)}×`);
  });
  const ratio = median(samples[2]!) / baseline;
  console.log(`status / node -e 0 = ${ratio.toFixed(2)}× (goal ≤ 2.0×: ${ratio <= 2 ? 'met' : 'NOT met'})`);
} finally {
  spawnSync(process.execPath, [CLI, 'stop', '1', '--force'], { cwd: repo, env });
  spawnSync(process.execPath, [CLI, 'daemon', 'stop'], { env });
  rmSync(root, { recursive: true, force: true });
}
