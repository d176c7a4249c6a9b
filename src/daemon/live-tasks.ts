import { setTimeout as delay } from 'node:timers/promises';
import { Methods, TASKS_CHANGED_NOTIFICATION, type ListTasksParams, type TaskInfo, type TaskListChange, type TaskProblem } from '../../protocol/daemon.js';
import { errorMessage } from '../core/errors.js';
import { connectDaemon, type DaemonClient } from './client.js';

export interface LiveTasksEvents {
  /** The list changed. */
  changed(): void;
  /** The daemon went away (`lost`, with why) or is back; said to the person watching. */
  connection(state: 'lost' | 'back', detail: string): void;
}

/**
 * A task list that keeps itself current for `orchestra ui` and `status --watch`: one
 * `task.subscribe`, then the daemon's `task.changed` notifications applied as they come.
 * When the daemon goes away (an upgrade replaced it, it was stopped, it crashed), it
 * connects again — starting a daemon where none runs, as every command does — and lists afresh.
 */
export class LiveTasks {
  private tasks = new Map<string, TaskInfo>();
  private problemList: TaskProblem[] = [];
  private client: DaemonClient | undefined;
  private closed = false;

  constructor(
    private readonly params: ListTasksParams,
    private readonly events: LiveTasksEvents,
  ) {}

  /** Subscribes; rejects when the daemon cannot be reached or refuses (say, no project here). */
  async open(): Promise<void> {
    await this.subscribe();
  }

  /** The tasks, by project and id. */
  get list(): TaskInfo[] {
    return [...this.tasks.values()].sort((a, b) => a.project.localeCompare(b.project) || a.id - b.id);
  }

  /** The task files that cannot be read, and a broken config. */
  get problems(): TaskProblem[] {
    return this.problemList;
  }

  close(): void {
    this.closed = true;
    this.client?.close();
  }

  /**
   * One connection and its subscription. The connection's end starts a reconnect only once
   * the subscription stands: a connection that fails before that fails this call, and the
   * caller (open, or the reconnect loop) decides what happens next, so there is never more
   * than one loop.
   */
  private async subscribe(): Promise<void> {
    const client = await connectDaemon({ notice: (message) => this.events.connection('back', message) });
    // Changes that come before the list belong after it: the daemon made them later.
    let early: TaskListChange[] | undefined = [];
    client.onNotification(TASKS_CHANGED_NOTIFICATION, (params) => {
      const change = params as TaskListChange;
      if (early) early.push(change);
      else {
        this.apply(change);
        this.events.changed();
      }
    });
    let list;
    try {
      if (this.closed) throw new Error('closed');
      list = await client.request(Methods.subscribeTasks, this.params);
      // Closed meanwhile: this connection is not wanted either.
      if (this.closed) throw new Error('closed');
    } catch (error) {
      client.close();
      throw error;
    }
    this.tasks = new Map(list.tasks.map((task) => [taskKey(task), task]));
    this.problemList = list.problems;
    for (const change of early) this.apply(change);
    early = undefined;
    this.client = client;
    client.onClose((reason) => void this.reconnect(reason));
    this.events.changed();
  }

  private apply(change: TaskListChange): void {
    for (const ref of change.removed) this.tasks.delete(taskKey({ project: change.project, ref }));
    for (const task of change.tasks) this.tasks.set(taskKey(task), task);
    this.problemList = [...this.problemList.filter((problem) => problem.project !== change.project), ...change.problems];
  }

  private async reconnect(reason: string): Promise<void> {
    this.client = undefined;
    if (this.closed) return;
    this.events.connection('lost', `lost the daemon (${reason}); connecting again…`);
    for (let wait = 100; !this.closed; wait = Math.min(wait * 2, 2000)) {
      await delay(wait);
      if (this.closed) return;
      try {
        await this.subscribe();
        this.events.connection('back', 'connected to the daemon again');
        return;
      } catch (error) {
        this.events.connection('lost', `cannot reach the daemon (${errorMessage(error)}); trying again…`);
      }
    }
  }
}

/** What tells tasks apart across projects: project and ref. */
export function taskKey(task: { project: string; ref: string }): string {
  return `${task.project}\n${task.ref}`;
}
