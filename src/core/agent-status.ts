import type { TaskStatus } from '../../protocol/daemon.js';
import type { Activity } from '../../protocol/holder.js';
import { ActivityJudge, type ActivityChange, type AgentTraits } from './activity-judge.js';
import type { ActivityReport } from './agent-events.js';
import { errorMessage } from './errors.js';
import { notify, type Notification } from './notify.js';
import type { UserDirs } from './paths.js';
import type { Project } from './project.js';
import { TaskLog } from './task-log.js';
import { titleOf, type TaskChanges, type TaskRecord } from './task-store.js';

/**
 * A task's status after its agent's activity changed to `next` (DESIGN.md §5): working
 * makes it running; finishing a turn or waiting makes a running task idle. A completed or
 * reviewed task keeps its status through the rest of the turn in which it was completed,
 * and goes back to running only when a new turn starts (someone prompted the agent again).
 */
export function statusAfter(status: TaskStatus, next: Activity, opensTurn: boolean): TaskStatus {
  if (next === 'running') {
    if (status === 'idle') return 'running';
    if ((status === 'completed' || status === 'reviewed') && opensTurn) return 'running';
    return status;
  }
  return status === 'running' ? 'idle' : status;
}

/** One run of a task's agent, from its start (or from being found running) to its end. */
interface Run {
  root: string;
  id: number;
  /** Which reports to believe, and when (src/core/activity-judge.ts). */
  judge: ActivityJudge;
  timer: NodeJS.Timeout | undefined;
  /** The run's writes, one after the other; the first waits until the start has been recorded. */
  writes: Promise<void>;
  /** The run's notify commands, one after the other, apart from the writes: a slow one holds up no status. */
  notices: Promise<void>;
}

/** A run, as begin() hands it out: end() with it ends that run and no later one. */
export type RunToken = object;

/**
 * Keeps each running task's status in step with what its agent does: reports from the
 * agent itself and the holder's verdicts on its screen come in, are judged and settle, and
 * change the task file; every change is logged with its cause, and the user's notify
 * command hears of the ones it asked for.
 */
export class AgentStatus {
  private readonly runs = new Map<string, Run>();

  constructor(
    private readonly dirs: UserDirs,
    private readonly projectAt: (root: string) => Project,
  ) {}

  /**
   * An agent starts (`state` running) or was found running after a daemon restart (`state`
   * from its task). `ready` resolves once the task says what the start did.
   */
  begin(key: string, task: { root: string; id: number }, options: { state: Activity; reason?: string; traits: AgentTraits; ready?: Promise<unknown> }): RunToken {
    this.end(key);
    const run: Run = {
      ...task,
      judge: new ActivityJudge({ state: options.state, reason: options.reason ?? '', traits: options.traits, now: Date.now() }),
      timer: undefined,
      writes: (options.ready ?? Promise.resolve()).then(
        () => undefined,
        () => undefined,
      ),
      notices: Promise.resolve(),
    };
    this.runs.set(key, run);
    return run;
  }

  /** What the run's agent is, once a start has worked out its profile and command line. */
  know(key: string, traits: AgentTraits): void {
    this.runs.get(key)?.judge.know(traits);
  }

  /**
   * The agent has ended (or, with `token`, that run of it): what it reported last and has
   * not been written is dropped (its exit is recorded instead).
   */
  end(key: string, token?: RunToken): void {
    const run = this.runs.get(key);
    if (!run || (token !== undefined && token !== run)) return;
    clearTimeout(run.timer);
    this.runs.delete(key);
  }

  has(key: string): boolean {
    return this.runs.has(key);
  }

  /** A verdict on what the agent does, from the agent or its screen; written once it has settled. */
  report(key: string, report: ActivityReport): void {
    const run = this.runs.get(key);
    if (!run) return;
    run.judge.offer(report, Date.now());
    this.schedule(key, run);
  }

  /** Wakes up when the judge has something to decide, and writes what it decides. */
  private schedule(key: string, run: Run): void {
    clearTimeout(run.timer);
    const due = run.judge.due;
    if (due === undefined) return;
    run.timer = setTimeout(() => {
      const change = run.judge.settle(Date.now());
      if (change) run.writes = run.writes.then(() => this.apply(key, run, change)).catch(() => undefined);
      this.schedule(key, run);
    }, Math.max(1, due - Date.now()));
  }

  private async apply(key: string, run: Run, change: ActivityChange): Promise<void> {
    const { report } = change;
    if (this.runs.get(key) !== run) return; // It ended meanwhile: its exit is what the task records.
    let project: Project;
    let result: { before: TaskRecord; task: TaskRecord; written: boolean };
    try {
      project = this.projectAt(run.root);
      const task = await project.store.resolve(String(run.id));
      result = await project.store.updateWith(task, (current) => {
        // Checked at the moment of writing: an exit recorded meanwhile wins.
        if (this.runs.get(key) !== run) return null;
        const status = statusAfter(current.status, report.state, change.opensTurn);
        const waiting = report.state === 'waiting' ? report.reason : null;
        if (status === current.status && waiting === current.waiting) return null;
        const changes: TaskChanges = { status, waiting: waiting ?? undefined };
        return changes;
      });
    } catch {
      return; // The task file is gone or broken; nothing to record in.
    }
    if (!result.written) return;
    const { before, task } = result;
    const log = (message: string) => {
      try {
        new TaskLog(this.dirs, run.root, task).event(message);
      } catch {
        // A log that cannot be written (a full disk) must not stop the status from following the agent.
      }
    };
    log(describeChange(before, task, report));
    // A new wait, not a new reason for the same one (Claude Code's permission request and its notification).
    const event: Notification['event'] | null = task.waiting && !before.waiting ? 'waiting' : task.status === 'idle' && before.status === 'running' ? 'idle' : null;
    if (!event || project.configError) return;
    const config = project.config.notify;
    const notification: Notification = { event, task: { id: task.id, slug: task.slug, title: titleOf(task.description) }, project: project.root, status: task.status, waiting: task.waiting };
    run.notices = run.notices.then(async () => {
      try {
        const failure = await notify(config, notification);
        if (failure) log(failure);
      } catch (error) {
        log(`the notify command could not run: ${errorMessage(error)}`);
      }
    });
  }
}

/** "status running → idle, waiting for permission to use Bash (hook PermissionRequest)" */
function describeChange(before: TaskRecord, after: TaskRecord, report: ActivityReport): string {
  const parts: string[] = [];
  if (after.status !== before.status) parts.push(`status ${before.status} → ${after.status}`);
  else parts.push(`status stays ${after.status}`);
  if (after.waiting) parts.push(`waiting for ${after.waiting}`);
  else if (before.waiting) parts.push('no longer waiting');
  return `${parts.join(', ')} (${report.cause})`;
}
