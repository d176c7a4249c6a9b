import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { TaskInfo, TaskList, TaskListChange } from '../../protocol/daemon.js';

/**
 * The daemon's change events (DESIGN.md §1): subscribers (`orchestra ui`, `status --watch`)
 * get the tasks that changed, the moment they change, instead of asking again and again.
 *
 * Anything that may change what a project's tasks look like "touches" the project: the
 * task store's writes, a person editing a task file (a file watcher on the tasks
 * directory), an agent starting, ending or gaining a viewer, a branch moving (a merge, a
 * commit; a watcher on the repository's top-level branch refs, `refs/heads/*`). Touches
 * within a few milliseconds are one refresh; a refresh lists the project, compares every
 * task with what subscribers last got, and sends only the differences. The git work behind
 * `changes` (diff size, clean merge) is done only for the finished tasks that changed, or
 * for all of them after a branch moved. Branches in packed refs only, or in folders
 * (`orchestra/…`, whose commits come with their agent's status changes anyway), are not watched.
 */

/** What the feed needs from the core: a project's tasks as every interface shows them. */
export interface TaskSource {
  /** The project's tasks without `changes`, and the files that cannot be read. */
  tasks(root: string): Promise<TaskList>;
  /** The task with `changes` filled in where it has any (the git work). */
  withChanges(task: TaskInfo): Promise<TaskInfo>;
}

interface Subscriber {
  /** Its projects; every project the registry knows when `all`. */
  roots: Set<string>;
  all: boolean;
  /** Projects whose first listing it has had: only changes after that reach it. */
  ready: Set<string>;
  listener: (change: TaskListChange) => void;
}

/** A project some subscriber follows: what they were last told, and its pending refresh. */
interface Followed {
  /** By ref: the task as last listed (without changes, compared as JSON) and as last sent. */
  last: Map<string, { listed: string; sent: TaskInfo }>;
  problems: string;
  /** Whether a first listing has been made. */
  listed: boolean;
  queue: Promise<unknown>;
  timer: NodeJS.Timeout | undefined;
  /** Whether the finished tasks' changes must be computed again (the base branch may have moved). */
  recheck: boolean;
  /** The watchers of the tasks directory, of `.orchestra` (to see the tasks directory made anew), and of the branches. */
  watchers: { tasks?: FSWatcher | undefined; orchestra?: FSWatcher | undefined; refs?: FSWatcher | undefined };
}

/** How long touches are gathered into one refresh: a status write and its log line, a burst of file events. */
const GATHER_MS = 25;

export class TaskFeed {
  private readonly subscribers = new Set<Subscriber>();
  private readonly followed = new Map<string, Followed>();

  constructor(private readonly source: TaskSource) {}

  /**
   * Follows `roots` (every known project with `all`, and projects that become known later):
   * resolves with their tasks as they are now, and calls `listener` with every change after
   * that, until `unsubscribe`.
   */
  async subscribe(roots: string[], all: boolean, listener: (change: TaskListChange) => void): Promise<{ list: TaskList; unsubscribe: () => void }> {
    const subscriber: Subscriber = { roots: new Set(roots), all, ready: new Set(), listener };
    this.subscribers.add(subscriber);
    const unsubscribe = () => {
      this.subscribers.delete(subscriber);
      for (const root of subscriber.roots) if (!this.isFollowed(root)) this.unfollow(root);
    };
    try {
      const lists = await Promise.all(roots.map((root) => this.enqueue(root, () => this.first(root, subscriber))));
      return { list: { tasks: lists.flatMap((l) => l.tasks), problems: lists.flatMap((l) => l.problems) }, unsubscribe };
    } catch (error) {
      unsubscribe();
      throw error;
    }
  }

  /**
   * Something about `root`'s tasks may have changed. `recheck` when the branches may have
   * moved (a merge), so that the finished tasks' changes are computed again.
   */
  touch(root: string, recheck = false): void {
    // A project that becomes known while someone watches every project joins their view.
    if (!this.followed.has(root)) {
      const watchers = [...this.subscribers].filter((s) => s.all);
      if (watchers.length === 0) return;
      for (const subscriber of watchers) {
        subscriber.roots.add(root);
        subscriber.ready.add(root);
      }
    }
    const followed = this.follow(root);
    followed.recheck ||= recheck;
    if (followed.timer) return;
    followed.timer = setTimeout(() => {
      followed.timer = undefined;
      void this.enqueue(root, () => this.refresh(root, followed)).catch(() => undefined);
    }, GATHER_MS);
  }

  /** Stops every file watcher and timer (the daemon is stopping). */
  close(): void {
    for (const root of [...this.followed.keys()]) this.unfollow(root);
    this.subscribers.clear();
  }

  /** The subscriber's first listing of `root`: the current tasks, after which changes reach it. */
  private async first(root: string, subscriber: Subscriber): Promise<TaskList> {
    const followed = this.follow(root);
    if (!followed.listed) await this.refresh(root, followed);
    subscriber.ready.add(root);
    const tasks = [...followed.last.values()].map((entry) => entry.sent).sort((a, b) => a.id - b.id);
    return { tasks, problems: JSON.parse(followed.problems) };
  }

  /**
   * Lists the project and tells its subscribers what differs from what they were last told.
   * `followed` is the entry the refresh was asked for: once the project has been let go of
   * (and perhaps followed anew) meanwhile, this refresh is no one's any more.
   */
  private async refresh(root: string, followed: Followed): Promise<void> {
    const current = () => this.followed.get(root) === followed;
    if (!current()) return;
    this.watch(root, followed);
    const recheck = followed.recheck;
    followed.recheck = false;
    const { tasks, problems } = await this.source.tasks(root);
    const changed: TaskInfo[] = [];
    await Promise.all(
      tasks.map(async (task) => {
        const listed = JSON.stringify(task);
        const before = followed.last.get(task.ref);
        if (before?.listed === listed && !(recheck && before.sent.changes !== null)) return;
        const sent = await this.source.withChanges(task);
        followed.last.set(task.ref, { listed, sent });
        if (!before || JSON.stringify(before.sent) !== JSON.stringify(sent)) changed.push(sent);
      }),
    );
    if (!current()) return;
    const present = new Set(tasks.map((task) => task.ref));
    const removed = [...followed.last.keys()].filter((ref) => !present.has(ref));
    for (const ref of removed) followed.last.delete(ref);
    const problemsText = JSON.stringify(problems);
    const problemsChanged = problemsText !== followed.problems;
    followed.problems = problemsText;
    followed.listed = true;
    if (changed.length === 0 && removed.length === 0 && !problemsChanged) return;
    changed.sort((a, b) => a.id - b.id);
    const change: TaskListChange = { project: root, tasks: changed, removed, problems };
    for (const subscriber of this.subscribers) {
      if (!subscriber.ready.has(root)) continue;
      try {
        subscriber.listener(change);
      } catch {
        // One subscriber's broken connection is no one else's problem.
      }
    }
  }

  private follow(root: string): Followed {
    let followed = this.followed.get(root);
    if (!followed) {
      followed = { last: new Map(), problems: '[]', listed: false, queue: Promise.resolve(), timer: undefined, recheck: false, watchers: {} };
      this.followed.set(root, followed);
    }
    return followed;
  }

  private isFollowed(root: string): boolean {
    for (const subscriber of this.subscribers) if (subscriber.roots.has(root)) return true;
    return false;
  }

  private unfollow(root: string): void {
    const followed = this.followed.get(root);
    if (!followed) return;
    clearTimeout(followed.timer);
    for (const watcher of Object.values(followed.watchers)) watcher?.close();
    this.followed.delete(root);
  }

  /** One refresh of a project at a time, in order: subscribers see its changes in the order they happened. */
  private enqueue<T>(root: string, job: () => Promise<T>): Promise<T> {
    const followed = this.follow(root);
    const result = followed.queue.then(job, job);
    followed.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Watches the tasks directory for changes made outside the daemon (a person's editor,
   * git), and the repository's branches. Where the tasks directory does not exist yet, the
   * store's first write makes it and touches the project, which comes back here. A tasks
   * directory removed and made again (which may even get its old inode back) is seen by the
   * watcher of `.orchestra`, which starts over with a new watcher.
   */
  private watch(root: string, followed: Followed): void {
    const watchers = followed.watchers;
    const watchOnce = (name: keyof Followed['watchers'], path: string, changed: (file: string | null) => void) => {
      if (watchers[name]) return;
      const watcher = tryWatch(path, changed, () => {
        if (watchers[name] === watcher) watchers[name] = undefined;
      });
      watchers[name] = watcher;
    };
    watchOnce('tasks', join(root, '.orchestra', 'tasks'), () => this.touch(root));
    watchOnce('orchestra', join(root, '.orchestra'), (file) => {
      if (file !== 'tasks') return;
      watchers.tasks?.close();
      watchers.tasks = undefined;
      this.touch(root);
    });
    watchOnce('refs', join(root, '.git', 'refs', 'heads'), () => this.touch(root, true));
  }
}

/** A watcher that does not keep the daemon alive, or undefined where there is nothing to watch; `broken` when it fails later. */
function tryWatch(path: string, changed: (file: string | null) => void, broken: () => void): FSWatcher | undefined {
  try {
    const watcher = watch(path, { persistent: false }, (_event, file) => changed(file));
    watcher.on('error', () => {
      watcher.close();
      broken();
    });
    return watcher;
  } catch {
    return undefined;
  }
}
