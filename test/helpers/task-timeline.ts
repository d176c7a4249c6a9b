import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { DAEMON_PROTOCOL_VERSION, Methods, TASKS_CHANGED_NOTIFICATION, type TaskInfo, type TaskList, type TaskListChange } from '../../protocol/daemon.js';
import { JsonRpcClient } from '../../protocol/json-rpc-client.js';
import { VERSION } from '../../src/core/version.js';
import { type Sandbox, waitFor } from './sandbox.js';

/** A task's status and what it waits for, at one moment. */
export interface TaskState {
  /** ms since the epoch, when the daemon's change event came. */
  at: number;
  status: string;
  waiting: string | null;
  alive: boolean;
}

/**
 * Every status a task goes through, as the daemon's change events (`task.subscribe`) tell
 * them: what a person watching `orchestra status` sees, with nothing missed between polls.
 */
export class TaskTimeline {
  readonly states: TaskState[] = [];
  /** How many states `next` has passed over so far. */
  private seen = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly ref: string,
  ) {}

  /** Follows the task `ref` (id, slug or id:slug) of the project at `repo`; the daemon must be running. */
  static async follow(sandbox: Sandbox, repo: string, ref: string): Promise<TaskTimeline> {
    const socket = connect(join(sandbox.home, 'run', 'daemon.sock'));
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const timeline = new TaskTimeline(socket, ref);
    const rpc = new JsonRpcClient(socket);
    rpc.onNotification(TASKS_CHANGED_NOTIFICATION, (change) => timeline.take((change as TaskListChange).tasks));
    await rpc.request(Methods.hello.method, { version: VERSION, protocol: DAEMON_PROTOCOL_VERSION });
    timeline.take((await rpc.request<TaskList>(Methods.subscribeTasks.method, { cwd: repo })).tasks);
    return timeline;
  }

  /** The latest state. */
  get now(): TaskState {
    return this.states.at(-1)!;
  }

  /** Waits for the first state after those `next` passed over already that `holds`, and returns it. */
  async next(holds: (state: TaskState) => boolean, what: string, ms = 60_000): Promise<TaskState> {
    let found = -1;
    try {
      await waitFor(() => (found = this.states.findIndex((state, index) => index >= this.seen && holds(state))) >= 0, what, ms);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the task went through ${this.describe()}`);
    }
    this.seen = found + 1;
    return this.states[found]!;
  }

  /** The states from `from` on, as "running → idle (waiting for …)". */
  describe(from = 0): string {
    return this.states
      .slice(from)
      .map((s) => `${s.status}${s.waiting ? ` (waiting for ${s.waiting})` : ''}${s.alive ? '' : ' (ended)'}`)
      .join(' → ');
  }

  close(): void {
    this.socket.destroy();
  }

  private take(tasks: TaskInfo[]): void {
    const task = tasks.find((t) => [t.ref, String(t.id), t.slug].includes(this.ref));
    if (!task) return;
    const last = this.states.at(-1);
    if (last && last.status === task.status && last.waiting === task.waiting && last.alive === task.alive) return;
    this.states.push({ at: Date.now(), status: task.status, waiting: task.waiting, alive: task.alive });
  }
}
