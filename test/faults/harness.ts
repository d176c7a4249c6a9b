import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Methods, TASKS_CHANGED_NOTIFICATION, type TaskInfo, type TaskList, type TaskListChange } from '../../protocol/daemon.js';
import type { JsonRpcClient } from '../../protocol/json-rpc-client.js';
import type { FaultPoint } from '../../src/core/fault-points.js';
import { processMemory } from '../../src/platform/process-memory.js';
import { CLI, git, Sandbox } from '../helpers/sandbox.js';
import { checkInvariants, type Expected, type HandEdit, type Violation } from './invariants.js';

/**
 * The fault suite's common parts: a project to break, a daemon held at a fault point
 * (src/core/fault-points.ts), the client or the daemon killed there, and the invariants
 * checked after each fault, with the counts the suite reports.
 */

/** What one test file of the suite did and found; printed as one line for the lead's note. */
export class Tally {
  injected = 0;
  daemonDeaths = 0;
  holderFreezes = 0;
  unreadable = 0;
  wrongStatus = 0;
  orphans = 0;
  editsLost = 0;
  peakDaemonMiB = 0;
  peakHolderMiB = 0;

  count(violations: Violation[]): void {
    for (const { kind } of violations) {
      if (kind === 'daemon') this.daemonDeaths++;
      else if (kind === 'unreadable') this.unreadable++;
      else if (kind === 'status') this.wrongStatus++;
      else if (kind === 'orphan') this.orphans++;
      else this.editsLost++;
    }
  }

  /** `what`: which part of the suite, e.g. 'start' or 'floods'. */
  line(what: string): string {
    const mib = (n: number) => (n === 0 ? '-' : n.toFixed(0));
    return (
      `faults (${what}): injected=${this.injected} daemonDeaths=${this.daemonDeaths} holderFreezes=${this.holderFreezes} unreadable=${this.unreadable} ` +
      `wrongStatus=${this.wrongStatus} orphans=${this.orphans} editsLost=${this.editsLost} peakDaemonMiB=${mib(this.peakDaemonMiB)} peakHolderMiB=${mib(this.peakHolderMiB)}`
    );
  }
}

/** The highest resident memory of processes while a flood lasts, sampled every 50 ms. */
export class PeakMemory {
  private readonly peaks = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(pids: number[]) {
    const sample = () => {
      for (const pid of pids) {
        try {
          this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, processMemory(pid).rss));
        } catch {
          // Gone: what it held before is what counts, and the invariants say whether it should be.
        }
      }
    };
    sample();
    this.timer = setInterval(sample, 50);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The highest RSS of `pid` seen, in MiB. */
  peak(pid: number): number {
    return this.peaks.get(pid) ?? 0;
  }
}

/**
 * The agent of the suite's projects: quiet after one line, and named by the project's path
 * in its command line, so that the invariants find it among the system's processes.
 */
function sleeper(repo: string): string[] {
  return ['/bin/sh', '-c', 'echo ready; sleep 600; :', join(repo, '.agent')];
}

/**
 * A project whose tasks run the sleeper with a setup script that prints (its output goes to
 * a client that may be dead by then); task files are ignored by git, as merge wants them.
 */
export function faultProject(sandbox: Sandbox, config: (repo: string) => string = () => ''): string {
  const repo = sandbox.repo();
  mkdirSync(join(repo, '.orchestra'));
  writeFileSync(join(repo, '.orchestra', 'config.yaml'), `agent: sleeper\nagents:\n  sleeper: { command: ${JSON.stringify(sleeper(repo))} }\n${config(repo)}`);
  writeFileSync(join(repo, '.orchestra', 'setup.sh'), '#!/bin/sh\necho "setting up $ORCHESTRA_TASK_SLUG"\n');
  chmodSync(join(repo, '.orchestra', 'setup.sh'), 0o755);
  writeFileSync(join(repo, '.gitignore'), '.orchestra/tasks/\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'Orchestra config');
  return repo;
}

/** Saves a person's edit of a task file as an editor does (a new file renamed over it): a key of their own and a line of description. */
export function handEdit(path: string, token: string): HandEdit {
  const lines = [`note: ${token}`, `Edited by hand: ${token}.`];
  const text = readFileSync(path, 'utf8').replace(/^---\n/, `---\n${lines[0]}\n`);
  writeFileSync(`${path}.saving`, `${text.trimEnd()}\n\n${lines[1]}\n`);
  renameSync(`${path}.saving`, path);
  return { path, lines };
}

export interface Client {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** `orchestra args…` as a person's terminal runs it, left running for the test to kill. */
export function startClient(sandbox: Sandbox, args: string[], cwd: string): Client {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (data) => (stdout += data));
  child.stderr!.on('data', (data) => (stderr += data));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, stdout, stderr }));
  return { child, exited };
}

/** Resolves when the daemon waits at `point` (its marker file appears); fails if the client ends first. */
export function faultReached(sandbox: Sandbox, point: FaultPoint, client: Client): Promise<void> {
  const marker = join(sandbox.home, 'fault-point');
  return new Promise((resolve, reject) => {
    const watcher = watch(sandbox.home, () => check());
    const stop = () => watcher.close();
    const check = () => {
      if (!existsSync(marker)) return;
      stop();
      const held = readFileSync(marker, 'utf8');
      if (held === point) resolve();
      else reject(new Error(`the daemon stopped at ${held}, not at ${point}`));
    };
    void client.exited.then(({ code, stderr }) => {
      stop();
      reject(new Error(`the fault point ${point} was never reached: the client exited ${code} (${stderr.trim() || 'no error'})`));
    });
    check();
  });
}

/** The daemon's task list of one project, kept up to date by its change events (task.subscribe). */
export class TaskWatch {
  private readonly tasks = new Map<string, TaskInfo>();
  private wake = () => {};
  private ended: string | undefined;

  private constructor(private readonly client: JsonRpcClient) {}

  static async open(sandbox: Sandbox, cwd: string): Promise<TaskWatch> {
    const { client } = await sandbox.rpc();
    const watch = new TaskWatch(client);
    client.onNotification(TASKS_CHANGED_NOTIFICATION, (change) => watch.apply(change as TaskListChange));
    client.onClose((reason) => {
      watch.ended = reason;
      watch.wake();
    });
    const list = await client.request<TaskList>(Methods.subscribeTasks.method, { cwd });
    for (const task of list.tasks) watch.tasks.set(task.ref, task);
    return watch;
  }

  /** Resolves once `holds` is true of the tasks; fails after `ms` saying what it waited for and what it saw. */
  async until(holds: (tasks: TaskInfo[]) => boolean, what: string, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!holds([...this.tasks.values()])) {
      const seen = JSON.stringify([...this.tasks.values()].map((t) => [t.ref, t.status, t.alive, t.branch, t.worktree, t.merged_commit]));
      if (this.ended !== undefined) throw new Error(`the daemon ended the subscription (${this.ended}) before ${what}; tasks: ${seen}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; tasks: ${seen}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.client.close();
  }

  private apply(change: TaskListChange): void {
    for (const task of change.tasks) this.tasks.set(task.ref, task);
    for (const ref of change.removed) this.tasks.delete(ref);
    this.wake();
  }
}

/** How a fault ends an operation held at its point. */
export type Kill =
  /** The client is killed with this signal and the daemon let go: the operation must finish in the daemon. */
  | 'SIGINT'
  | 'SIGKILL'
  /** The daemon is killed (kill -9) and started again unarmed: it must heal what the operation left. */
  | 'daemon';

export interface KillCase {
  point: FaultPoint;
  kill: Kill;
  /** Makes the task(s) the operation acts on, once the armed daemon runs; returns the command and what to expect. */
  prepare: (world: FaultWorld) => Promise<{ args: string[]; finished: (tasks: TaskInfo[]) => boolean; expected: Expected }>;
}

/** One project in a sandbox of its own (so that one fault's leftovers never count against the next), and the file's tally. */
export class FaultWorld {
  readonly sandbox = new Sandbox();
  readonly repo: string;
  private client: JsonRpcClient | undefined;

  /** `config`: more of the project's config.yaml (more agent profiles), given the project's path. */
  constructor(
    readonly tally: Tally,
    config?: (repo: string) => string,
  ) {
    this.repo = faultProject(this.sandbox, config);
  }

  /** Starts the sandbox's first daemon, held at `point` when it gets there; its pid. */
  async startDaemon(point?: FaultPoint): Promise<number> {
    const out = await this.sandbox.ok(['daemon', 'start'], { env: point ? { ORCHESTRA_FAULT_POINT: point } : {} });
    return Number(/pid (\d+)/.exec(out)![1]);
  }

  /** A request to the daemon over a connection of the world's (preparing a fault costs no CLI start-up). */
  async request<R>(method: { method: string; types?: { result: R } }, params: Record<string, unknown>): Promise<R> {
    if (!this.client) {
      const { client } = await this.sandbox.rpc();
      client.onClose(() => (this.client = undefined));
      this.client = client;
    }
    return this.client.request<R>(method.method, { cwd: this.repo, ...params });
  }

  /** A new draft task with a person's edit in its file. */
  async draft(slug: string): Promise<{ id: number; edit: HandEdit }> {
    const task = await this.request(Methods.createTask, { slug, description: `Work on ${slug}.\n` });
    return { id: task.id, edit: handEdit(task.path, `kept-${slug}`) };
  }

  /** Starts a task's agent, as `orchestra start` would, with this process's environment. */
  async start(id: number): Promise<TaskInfo> {
    const env = Object.fromEntries(Object.entries(this.sandbox.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
    return this.request(Methods.startTask, { ref: String(id), env });
  }

  /** Checks every invariant, counts what breaks them (and the `found` before) in the tally, and fails the test on any. */
  async holds(expected: Expected, found: Violation[] = []): Promise<void> {
    const violations = [...found, ...(await checkInvariants(this.sandbox, [this.repo], expected))];
    this.tally.count(violations);
    assert.deepEqual(violations, [], violations.map((v) => `${v.kind}: ${v.what}`).join('\n'));
  }

  /** Holds the operation at the case's point, ends it as the case says, and checks the invariants. */
  async inject(kase: KillCase): Promise<void> {
    const pid = await this.startDaemon(kase.point);
    const { args, finished, expected } = await kase.prepare(this);
    const watch = kase.kill === 'daemon' ? undefined : await TaskWatch.open(this.sandbox, this.repo);
    const marker = join(this.sandbox.home, 'fault-point');
    const client = startClient(this.sandbox, args, this.repo);
    try {
      await faultReached(this.sandbox, kase.point, client);
      this.tally.injected++;
      if (kase.kill === 'daemon') {
        // Dead when its connections close (a zombie no one has reaped yet still answers kill 0).
        const { client: connection } = await this.sandbox.rpc();
        const dead = new Promise((resolve) => connection.onClose(resolve));
        process.kill(pid, 'SIGKILL');
        await dead;
        rmSync(marker);
        await client.exited;
        // The next command starts a daemon, without the point armed (whether it can is checked next).
        await this.sandbox.run(['status'], { cwd: this.repo });
        return await this.holds(expected);
      }
      client.child.kill(kase.kill);
      await client.exited;
      rmSync(marker);
      const what = `'orchestra ${args.join(' ')}' to finish in the daemon after its client got ${kase.kill} at ${kase.point}`;
      const unfinished = await watch!.until(finished, what).then(
        () => [],
        (error: Error): Violation[] => [{ kind: 'status', what: error.message }],
      );
      await this.holds({ ...expected, daemonPid: pid }, unfinished);
    } finally {
      client.child.kill('SIGKILL');
      watch?.close();
      rmSync(marker, { force: true });
    }
  }

  cleanup(): Promise<void> {
    this.client?.close();
    return this.sandbox.cleanup();
  }
}

/**
 * Each of `points` × `kills` as a subtest of `t`, each in a world of its own, then the
 * file's counts as `t`'s diagnostic (the line the lead copies into the note).
 */
export async function faultsAt(t: TestContext, points: readonly FaultPoint[], kills: Kill[], prepare: KillCase['prepare']): Promise<void> {
  const tally = new Tally();
  for (const point of points) {
    for (const kill of kills) {
      const how = kill === 'daemon' ? 'the daemon killed (kill -9) and started again' : `the client killed (${kill})`;
      await t.test(`${point}, ${how}`, async () => {
        const world = new FaultWorld(tally);
        try {
          await world.inject({ point, kill, prepare });
        } finally {
          await world.cleanup();
        }
      });
    }
  }
  t.diagnostic(tally.line(points[0]!.split(':')[0]!));
}
