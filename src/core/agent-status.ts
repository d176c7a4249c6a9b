import type { TaskStatus } from '../../protocol/daemon.js';
import type { Activity } from '../../protocol/holder.js';
import type { ActivityReport } from './agent-events.js';
import { errorMessage } from './errors.js';
import { notify, type Notification } from './notify.js';
import type { UserDirs } from './paths.js';
import type { Project } from './project.js';
import { TaskLog } from './task-log.js';
import { titleOf, type TaskChanges, type TaskRecord } from './task-store.js';

/**
 * A verdict must hold this long before it is written: an agent that ends a turn and starts
 * the next at once (a queued prompt), or a screen that pauses for a moment, does not make
 * the task file flap.
 */
const SETTLE_MS = 400;
/** The agent's own reports are deliberate, not a screen's guess: they settle sooner (idle within 2 s of a reply, issue 7). */
const AGENT_SETTLE_MS = 200;
/** A quiet screen ends a turn the agent did not report as ended only when the agent has said nothing for this long. */
const AGENT_SILENCE_MS = 1000;

/**
 * A task's status after its agent's activity went from `previous` to `next` (DESIGN.md §5):
 * working makes it running; finishing a turn or waiting makes a running task idle. A
 * completed or reviewed task keeps its status while the agent idles or finishes the turn it
 * was in, and goes back to running only when a new turn starts (someone prompted it again).
 */
export function statusAfter(status: TaskStatus, previous: Activity, next: Activity): TaskStatus {
  if (next === 'running') {
    if (status === 'idle') return 'running';
    if ((status === 'completed' || status === 'reviewed') && previous !== 'running') return 'running';
    return status;
  }
  return status === 'running' ? 'idle' : status;
}

/** One run of a task's agent, from its start (or from being found running) to its end. */
interface Run {
  root: string;
  id: number;
  /** The activity last written to the task. */
  applied: Activity;
  appliedReason: string;
  /** Whether the agent reports itself (hooks, plugin): from its first report on, the screen's verdicts are ignored. */
  agentReports: boolean;
  /** When the latest of the agent's own reports was made, and when the daemon got one last. */
  lastReportAt: number;
  lastReportReceived: number;
  pending: ActivityReport | undefined;
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
 * agent itself and the holder's verdicts on its screen come in, settle, and change the task
 * file; every change is logged with its cause, and the user's notify command hears of the
 * ones it asked for.
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
  begin(key: string, task: { root: string; id: number }, options: { state: Activity; reason?: string; agentReports: boolean; ready?: Promise<unknown> }): RunToken {
    this.end(key);
    const run: Run = {
      ...task,
      applied: options.state,
      appliedReason: options.reason ?? '',
      agentReports: options.agentReports,
      lastReportAt: 0,
      lastReportReceived: 0,
      pending: undefined,
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

  /** A verdict on what the agent does; written once it has held for SETTLE_MS. */
  report(key: string, report: ActivityReport): void {
    const run = this.runs.get(key);
    if (!run) return;
    // Once the agent reports itself, its screen only ends a turn the agent did not report as
    // ended (Claude Code fires no hook when interrupted with Esc): a quiet screen while it
    // runs, with no word from the agent meanwhile (a permission dialog is quiet too, and its
    // hook may come a moment later). Working agents animate their screens.
    if (report.source === 'screen' && run.agentReports) {
      const silent = run.pending === undefined && Date.now() - run.lastReportReceived >= AGENT_SILENCE_MS;
      if (!(report.state === 'idle' && run.applied === 'running' && silent)) return;
    }
    if (report.source === 'agent') {
      run.agentReports = true;
      run.lastReportReceived = Date.now();
      // Hooks run side by side: one that started before the latest taken is out of date.
      if (report.at !== undefined) {
        if (report.at < run.lastReportAt) return;
        run.lastReportAt = report.at;
      }
    }
    clearTimeout(run.timer);
    run.pending = undefined;
    if (report.state === run.applied && report.reason === run.appliedReason) return;
    run.pending = report;
    run.timer = setTimeout(() => this.settle(key, run), report.source === 'agent' ? AGENT_SETTLE_MS : SETTLE_MS);
  }

  private settle(key: string, run: Run): void {
    const report = run.pending;
    if (!report || this.runs.get(key) !== run) return;
    run.pending = undefined;
    const previous = run.applied;
    run.applied = report.state;
    run.appliedReason = report.reason;
    run.writes = run.writes.then(() => this.apply(key, run, previous, report)).catch(() => undefined);
  }

  private async apply(key: string, run: Run, previous: Activity, report: ActivityReport): Promise<void> {
    if (this.runs.get(key) !== run) return; // It ended meanwhile: its exit is what the task records.
    let project: Project;
    let result: { before: TaskRecord; task: TaskRecord; written: boolean };
    try {
      project = this.projectAt(run.root);
      const task = await project.store.resolve(String(run.id));
      result = await project.store.updateWith(task, (current) => {
        // Checked at the moment of writing: an exit recorded meanwhile wins.
        if (this.runs.get(key) !== run) return null;
        const status = statusAfter(current.status, previous, report.state);
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
