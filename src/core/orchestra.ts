import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Activity, ActivityVerdict, ExitStatus, HolderTask } from '../../protocol/holder.js';
import {
  TASK_STATUSES,
  type CreateTaskParams,
  type InitResult,
  type ListTasksParams,
  type MergeResult,
  type MergeTaskParams,
  type RemoveResult,
  type RemoveTaskParams,
  type ReportParams,
  type ReportResult,
  type PreparedTask,
  type PrepareTaskParams,
  type StartTaskParams,
  type StopResult,
  type TaskDetail,
  type TaskInfo,
  type TaskList,
  type TaskListChange,
  type TaskStatus,
  type TerminalInfo,
} from '../../protocol/daemon.js';
import { reportFromEvent } from './agent-events.js';
import { AgentRuns } from './agent-runs.js';
import { AgentStatus } from './agent-status.js';
import { agentProfile, assertKnownAgent } from './agent-profile.js';
import { CONFIG_TEMPLATE, DEFAULT_CONFIG, projectConfigPath, SETUP_TEMPLATE } from './config.js';
import { OrchestraError, UsageError } from './errors.js';
import { describeExit } from './exit-status.js';
import { faultPoint } from './fault-points.js';
import { closestMatches } from './fuzzy.js';
import { changedFiles, currentBranch, findProjectRoot, git, gitStatus, localBranches } from './git.js';
import { branchNameProblem, branchRef } from './branch-name.js';
import { Intents, type Intent, type IntentHandle, type MergeIntent } from './intents.js';
import { branchChanges, commitsAhead, fileList, mergeTask } from './merge.js';
import { deleteBranch, discardWorktree, removeWorktree, taskBranch, verifiedWorktree, worktreeWork } from './worktree.js';
import type { UserDirs } from './paths.js';
import { openProject, type Project } from './project.js';
import { ProjectLocks } from './project-lock.js';
import { ProjectRegistry } from './registry.js';
import { assertValidSlug } from './slug.js';
import { TaskFeed } from './task-feed.js';
import { TaskLog } from './task-log.js';
import { refOf, TaskStore, titleOf, type TaskChanges, type TaskRecord } from './task-store.js';
import { holderKey, type Terminals } from './terminals.js';

export interface OrchestraOptions {
  dirs: UserDirs;
  terminals: Terminals;
  /** The daemon's socket, which agents get as ORCHESTRA_SOCKET. */
  daemonSocket: string;
  /** The credentials agents of a project get as ORCHESTRA_TOKEN (src/daemon/agent-tokens.ts). */
  agentToken: (root: string) => string;
}

/**
 * The one core every interface calls (DESIGN.md §1): each public method is one operation
 * of the CLI, the JSON-RPC interface, the MCP server and the TUI. Interfaces adapt
 * arguments and output; rules live here.
 */
export class Orchestra {
  readonly registry: ProjectRegistry;
  readonly dirs: UserDirs;
  private readonly terminals: Terminals;
  private readonly runs: AgentRuns;
  private readonly status: AgentStatus;
  private readonly stores = new Map<string, TaskStore>();
  private readonly feed: TaskFeed;

  /** One writer per project for git operations (merge, rm, worktrees). */
  private readonly locks = new ProjectLocks();
  /** What multi-step operations are about to do, for a daemon that died in the middle (heal). */
  private readonly intents: Intents;

  constructor(options: OrchestraOptions) {
    this.dirs = options.dirs;
    this.terminals = options.terminals;
    this.feed = new TaskFeed({ tasks: (root) => this.projectTasks(root), withChanges });
    this.status = new AgentStatus(options.dirs, (root) => this.projectAt(root));
    this.intents = new Intents(options.dirs.state);
    this.runs = new AgentRuns(options.dirs, options.daemonSocket, options.agentToken, this.status, this.locks, this.intents);
    this.registry = new ProjectRegistry(options.dirs.state);
  }

  /** Writes `.orchestra/` with a commented config and a setup script template, keeping files that exist. */
  async initProject(cwd: string): Promise<InitResult> {
    const root = await this.projectRoot(cwd);
    const files: Array<[string, string, number]> = [
      [projectConfigPath(root), CONFIG_TEMPLATE, 0o644],
      [join(root, '.orchestra', 'setup.sh'), SETUP_TEMPLATE, 0o755],
    ];
    await mkdir(join(root, '.orchestra', 'tasks'), { recursive: true });
    const result: InitResult = { root, created: [], existing: [] };
    for (const [path, text, mode] of files) {
      try {
        await writeFile(path, text, { flag: 'wx', mode });
        await chmod(path, mode); // The umask may have taken the execute bit away.
        result.created.push(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        result.existing.push(path);
      }
    }
    return result;
  }

  /** Checks a new task's slug, base branch and agent before anything is written (and before an editor opens). */
  async prepareTask(params: PrepareTaskParams): Promise<PreparedTask> {
    return this.prepare(await this.project(params.cwd), params);
  }

  async createTask(params: CreateTaskParams): Promise<TaskDetail> {
    const project = await this.project(params.cwd);
    const prepared = await this.prepare(project, params);
    const now = new Date().toISOString();
    const front = {
      base_branch: prepared.base_branch,
      status: 'draft',
      ...(params.agent !== undefined ? { agent: params.agent } : {}),
      created: now,
      updated: now,
    };
    const record = await project.store.create(prepared.slug, front, params.description);
    return detail(record, project);
  }

  private async prepare(project: Project, params: PrepareTaskParams): Promise<PreparedTask> {
    assertValidSlug(params.slug);
    const { tasks } = await project.store.list();
    const existing = tasks.find((t) => t.slug === params.slug);
    if (existing) throw new OrchestraError(`A task named '${params.slug}' exists already (${refOf(existing)}); pick another slug or use that task.`);
    const base = params.base_branch ?? (await currentBranch(params.cwd));
    if (base === null) throw new UsageError(`HEAD is detached in ${params.cwd}, so there is no current branch to start from; pass --base BRANCH.`);
    if (params.base_branch !== undefined) await assertBranchExists(project.root, params.base_branch);
    const agent = params.agent ?? project.config.agent;
    assertKnownAgent(agent, project.config);
    return { project: project.root, slug: params.slug, base_branch: base, agent };
  }

  async listTasks(params: ListTasksParams): Promise<TaskList> {
    const result: TaskList = { tasks: [], problems: [] };
    for (const root of await this.listedRoots(params)) {
      const { tasks, problems } = await this.projectTasks(root);
      result.tasks.push(...(await Promise.all(tasks.map(withChanges))));
      result.problems.push(...problems);
    }
    return result;
  }

  /**
   * The tasks as `listTasks` gives them, and then every change to them as it happens, until
   * `unsubscribe` (the daemon's change events, DESIGN.md §1).
   */
  subscribeTasks(params: ListTasksParams, listener: (change: TaskListChange) => void): Promise<{ list: TaskList; unsubscribe: () => void }> {
    return this.listedRoots(params).then((roots) => this.feed.subscribe(roots, params.all ?? false, listener));
  }

  /** Something outside the task files changed what a project's tasks show: an agent started, ended, or gained a viewer. */
  terminalChanged(holder: HolderTask): void {
    this.feed.touch(holder.project);
  }

  /** Stops following changes (the daemon is stopping). */
  close(): void {
    this.feed.close();
  }

  private async listedRoots(params: ListTasksParams): Promise<string[]> {
    return params.all ? this.registry.list().filter((root) => existsSync(root)) : [await this.projectRoot(params.cwd)];
  }

  /** A project's tasks without their branches' changes (which cost git work), and what cannot be read. */
  private async projectTasks(root: string): Promise<TaskList> {
    const project = this.projectAt(root);
    const { tasks, problems } = await project.store.list();
    if (project.configError) problems.push({ path: project.configError.file, reason: project.configError.message });
    return { tasks: tasks.map((t) => info(t, project)), problems: problems.map((problem) => ({ project: root, ...problem })) };
  }

  async getTask(cwd: string, ref: string): Promise<TaskDetail> {
    const project = await this.project(cwd);
    const task = await project.store.resolve(ref);
    // What the CLI runs git in, and cds to: only a worktree git lists on the task's branch,
    // never a directory a task file names (a bare repository in a clone runs its config).
    const worktree = task.branch ? await verifiedWorktree(project.root, task, task.branch) : null;
    return withChanges({ ...detail(task, project), worktree });
  }

  /** The task's file, also when it cannot be read: the way to repair it. */
  async taskPath(cwd: string, ref: string): Promise<{ path: string }> {
    const project = await this.project(cwd);
    return { path: await project.store.resolvePath(ref) };
  }

  completeTask(cwd: string, ref: string): Promise<TaskDetail> {
    return this.changeStatus(cwd, ref, 'completed');
  }

  /** Marks a finished task reviewed; only a person does this. */
  reviewTask(cwd: string, ref: string): Promise<TaskDetail> {
    return this.changeStatus(cwd, ref, 'reviewed', (task) => {
      if (task.status === 'draft' || task.status === 'running') {
        throw new OrchestraError(
          `Task ${refOf(task)} is ${task.status}, so there is nothing finished to review; 'orchestra complete ${task.id}' first, or 'orchestra set-status ${task.id} reviewed' to force it.`,
        );
      }
    });
  }

  setTaskStatus(cwd: string, ref: string, status: string): Promise<TaskDetail> {
    if (!(TASK_STATUSES as readonly string[]).includes(status)) {
      const close = closestMatches(status, TASK_STATUSES);
      const hint = close.length > 0 ? ` Did you mean ${close.join(' or ')}?` : '';
      throw new UsageError(`'${status}' is not a status; use one of ${TASK_STATUSES.join(', ')}.${hint}`);
    }
    return this.changeStatus(cwd, ref, status as TaskStatus);
  }

  /**
   * Removes a task: stops its agent, removes its worktree (refused when it has uncommitted
   * work, unless `force`), deletes its branch only when asked (refused when that loses
   * commits, unless `force`), and deletes the task file last. Every refusal names what
   * would be lost.
   */
  async removeTask(params: RemoveTaskParams): Promise<RemoveResult> {
    const project = await this.project(params.cwd);
    return this.locks.run(project.root, () => this.remove(project, params));
  }

  private async remove(project: Project, params: RemoveTaskParams): Promise<RemoveResult> {
    const task = await project.store.resolve(params.ref);
    const ref = refOf(task);
    const force = params.force ?? false;
    // Only what Orchestra made for this task: a task file may name any directory or branch.
    const own = ownBranch(project, task);
    const worktree = await verifiedWorktree(project.root, task, own);
    if (worktree && !force) {
      const changed = await changedFiles(worktree);
      if (changed.length > 0) {
        throw new OrchestraError(`Task ${ref}'s worktree ${worktree} has uncommitted changes (${fileList(changed)}) that removing it would delete; commit them, or rm --force to delete them.`);
      }
    }
    if (params.delete_branch && task.branch && task.branch !== own) {
      throw new OrchestraError(`Task ${ref}'s file names the branch ${task.branch}, which is not the one Orchestra makes for it (${own}); rm deletes only that one. Delete ${task.branch} with git if you mean to, and rm without --delete-branch.`);
    }
    const branch = params.delete_branch && task.branch && (await localBranches(project.root)).includes(task.branch) ? task.branch : null;
    if (branch && !force && !task.merged_commit && task.base_branch) {
      const ahead = await commitsAhead(project.root, task.base_branch, branch).catch(() => 0);
      if (ahead > 0) {
        throw new OrchestraError(`Task ${ref}'s branch ${branch} has ${ahead} commit${ahead === 1 ? '' : 's'} that ${task.base_branch} does not have, which deleting it would lose; merge it first, or rm --force --delete-branch.`);
      }
    }
    // What was checked is what the person asked for: a daemon that dies from here on finishes it when it starts again.
    const intent = this.intents.record(holderKey(project.root, task.id), { op: 'rm', project: project.root, id: task.id, delete_branch: params.delete_branch ?? false, force });
    const stopped = (await this.runs.stop(project, task, false)) !== null;
    await faultPoint('rm:stopped');
    if (worktree) await removeWorktree(project.root, worktree);
    await faultPoint('rm:worktree');
    if (branch) await deleteBranch(project.root, branch);
    await faultPoint('rm:branch');
    await project.store.remove(task);
    // Nothing can show it once the task is gone, and it holds the prompt and the agent's credentials.
    new TaskLog(project.dirs, project.root, task).remove();
    intent.done();
    return { task: info(task, project), removed_worktree: worktree, deleted_branch: branch, stopped };
  }

  /** Merges a task's branch into its base branch; see merge.ts for the checks. */
  async mergeTask(params: MergeTaskParams): Promise<MergeResult> {
    const project = await this.project(params.cwd);
    return this.locks.run(project.root, () => this.merge(project, params));
  }

  private async merge(project: Project, params: MergeTaskParams): Promise<MergeResult> {
    let task = await project.store.resolve(params.ref);
    const strategy = params.strategy ?? 'merge';
    const key = holderKey(project.root, task.id);
    const alive = project.terminals.state(key) !== undefined;
    const own = ownBranch(project, task);
    const worktree = await verifiedWorktree(project.root, task, own);
    const cleanup = params.cleanup ?? false;
    let intent: IntentHandle<MergeIntent> | undefined;
    const record = (commit: string) => (intent = this.intents.record(key, { op: 'merge', project: project.root, id: task.id, base: task.base_branch!, commit, cleanup }));
    const merged = await mergeTask(project.root, task, worktree, alive, { strategy, commit: params.commit ?? false, force: params.force ?? false }, record);
    // The base branch has moved: what every finished task would bring to it may differ now.
    this.feed.touch(project.root, true);
    task = await project.store.update(task, { merged_commit: merged });
    await faultPoint('merge:recorded');
    const cleaned = cleanup ? await this.cleanUpMerged(project, task, worktree) : { task, removed: null, deleted: null };
    // Left in place when a step failed: heal finishes what was recorded once the daemon restarts.
    intent!.done();
    return { task: detail(cleaned.task, project), merged_commit: merged, strategy, removed_worktree: cleaned.removed, deleted_branch: cleaned.deleted };
  }

  /** merge --cleanup's second half: the agent stopped, the task's own worktree and branch removed, the task told. */
  private async cleanUpMerged(project: Project, task: TaskRecord, worktree: string | null): Promise<{ task: TaskRecord; removed: string | null; deleted: string | null }> {
    const own = ownBranch(project, task);
    let removed: string | null = null;
    let deleted: string | null = null;
    await this.runs.stop(project, task, false);
    if (worktree && existsSync(worktree)) await removeWorktree(project.root, (removed = worktree));
    if (task.branch === own && (await localBranches(project.root)).includes(own)) await deleteBranch(project.root, (deleted = own));
    task = await project.store.update(task, { worktree: undefined, branch: undefined });
    return { task, removed, deleted };
  }

  /**
   * Finishes or undoes what a daemon that died in the middle of an operation left (its
   * intents): called once the running agents have been found again. Returns a line for the
   * daemon's log per operation healed; each task's log says what was done.
   */
  async heal(): Promise<string[]> {
    const lines: string[] = [];
    for (const { intent, done } of this.intents.pending()) {
      if (!existsSync(intent.project)) {
        done();
        continue;
      }
      const project = this.projectAt(intent.project);
      try {
        const what = await this.locks.run(project.root, () => this.healOne(project, intent));
        if (what) lines.push(`task ${intent.id} of ${intent.project}: ${what}`);
      } catch (error) {
        lines.push(`task ${intent.id} of ${intent.project}: could not finish the ${intent.op} a stopped daemon left (${(error as Error).message})`);
      }
      done();
    }
    return lines;
  }

  private async healOne(project: Project, intent: Intent): Promise<string | null> {
    const task = await project.store.resolve(String(intent.id)).catch(() => undefined);
    if (!task) return null; // Removed, by the operation itself or by hand: nothing to finish.
    const log = new TaskLog(this.dirs, project.root, task);
    const say = (what: string) => {
      log.event(`after a daemon restart: ${what}`);
      return what;
    };
    switch (intent.op) {
      case 'start': {
        const worktree = await verifiedWorktree(project.root, { worktree: intent.worktree, branch: intent.branch }, intent.branch);
        if (project.terminals.state(holderKey(project.root, task.id))) {
          await project.store.update(task, { status: 'running', branch: intent.branch, worktree: worktree ?? intent.worktree, exit_code: undefined });
          return say(`the start had launched the agent, which runs: recorded as running in ${worktree ?? intent.worktree}`);
        }
        if (!worktree) return null;
        const made = { path: worktree, branch: intent.branch, created: intent.made?.created ?? false, createdBranch: intent.made?.createdBranch ?? false, adopted: false };
        const work = await worktreeWork(project.root, task.base_branch, made);
        if (work || !made.created) {
          await project.store.update(task, { branch: intent.branch, worktree });
          return say(`a start did not finish; its worktree ${worktree} is kept${work ? ` (it holds ${work})` : ''} and recorded`);
        }
        await discardWorktree(project.root, made);
        return say(`a start did not finish; the worktree it had made (${worktree}) is removed, the task is as before`);
      }
      case 'merge': {
        let merged = task.merged_commit;
        if (!merged) {
          const { status } = await gitStatus(project.root, ['merge-base', '--is-ancestor', intent.commit, branchRef(intent.base)]);
          if (status !== 0) return say(`a merge into ${intent.base} did not happen; nothing changed`);
          merged = intent.commit;
          await project.store.update(task, { merged_commit: merged });
        }
        if (!intent.cleanup) return say(`the merge into ${intent.base} (${merged.slice(0, 12)}) is recorded`);
        const fresh = await project.store.resolve(String(task.id));
        const worktree = await verifiedWorktree(project.root, fresh, ownBranch(project, fresh));
        await this.cleanUpMerged(project, fresh, worktree);
        return say(`the merge into ${intent.base} (${merged.slice(0, 12)}) is recorded and its cleanup finished`);
      }
      case 'rm': {
        await this.remove(project, { cwd: project.root, ref: String(task.id), delete_branch: intent.delete_branch, force: intent.force });
        return `a removal did not finish; finished (the task file is gone)`;
      }
    }
  }

  /** Starts the task's agent in the background; see AgentRuns.start. */
  async startTask(params: StartTaskParams, output: (chunk: string) => void): Promise<TaskDetail> {
    const project = await this.project(params.cwd);
    const task = await project.store.resolve(params.ref);
    return detail(await this.runs.start(project, task, params, output), project);
  }

  /** Ends the task's agent (gracefully unless `force`); the worktree stays as it is. */
  async stopTask(cwd: string, ref: string, force: boolean): Promise<StopResult> {
    const project = await this.project(cwd);
    const task = await project.store.resolve(ref);
    const exit = await this.runs.stop(project, task, force);
    return { task: detail(await project.store.resolve(String(task.id)), project), was_running: exit !== null, how: exit ? describeExit(exit) : null };
  }

  /** Where to reach the task's terminal (for attach and peek), and the detach key to use. */
  async terminal(cwd: string, ref: string): Promise<TerminalInfo> {
    const project = await this.project(cwd);
    return this.runs.terminal(project, await project.store.resolve(ref));
  }

  /**
   * What an agent says about itself through `orchestra hook <event>` (its hooks, Orchestra's
   * OpenCode plugin, a user's own wiring): the task's status follows (see AgentStatus).
   */
  async reportActivity(params: ReportParams): Promise<ReportResult> {
    const project = await this.project(params.cwd);
    const task = await project.store.resolve(params.ref);
    const report = reportFromEvent(params.event, params.data ?? {}, params.at);
    const key = holderKey(project.root, task.id);
    if (!this.status.has(key)) {
      throw new OrchestraError(`Task ${refOf(task)}'s agent is not running under Orchestra, so there is no activity to report; start it with 'orchestra start ${task.id}'.`);
    }
    if (report) this.status.report(key, report);
    return { ref: refOf(task), state: report?.state ?? null };
  }

  /** An agent found running after a daemon restart (called by the terminals' supervisor): its status is followed again. */
  async agentFound(holder: HolderTask, agent: string): Promise<void> {
    const project = this.projectAt(holder.project);
    let reports = false;
    try {
      reports = agentProfile(agent, project.config).reports;
    } catch {
      // A broken config or a profile since removed: the screen is all there is to go by.
    }
    const task = await project.store.resolve(String(holder.id)).catch(() => undefined);
    const state: Activity = task?.status === 'running' ? 'running' : task?.waiting ? 'waiting' : 'idle';
    // Found, not started: it took its prompt before the restart.
    this.status.begin(holderKey(holder.project, holder.id), { root: holder.project, id: holder.id }, { state, reason: task?.waiting ?? '', traits: { agentReports: reports, prompted: false } });
  }

  /** The holder's verdict on an agent's screen changed (called by the terminals' supervisor). */
  agentActivity(holder: HolderTask, verdict: ActivityVerdict): void {
    this.status.report(holderKey(holder.project, holder.id), { ...verdict, source: 'screen' });
  }

  /** Records that a task's agent has ended (called by the terminals' supervisor). */
  agentExited(holder: HolderTask, status: ExitStatus | null, cause: string): Promise<void> {
    return this.runs.exited(this.projectAt(holder.project), holder, status, cause);
  }

  private async changeStatus(cwd: string, ref: string, status: TaskStatus, check?: (task: TaskRecord) => void): Promise<TaskDetail> {
    const project = await this.project(cwd);
    const task = await project.store.resolve(ref);
    check?.(task);
    if (task.status === status) return detail(task, project);
    const changes: TaskChanges = { status };
    return detail(await project.store.update(task, changes), project);
  }

  /**
   * Refuses a request of a client limited to the project `scope` (an agent's) that reaches
   * beyond it: every project, or another one.
   */
  async assertWithin(scope: string, params: { cwd?: string; all?: boolean }): Promise<void> {
    const refuse = (what: string) => {
      throw new OrchestraError(outsideScope(scope, what));
    };
    if (params.all) refuse('this asks for every project');
    if (params.cwd === undefined) refuse('this names no project');
    const root = await findProjectRoot(params.cwd!);
    if (root !== scope) refuse(`${root} is another`);
  }

  private async projectRoot(cwd: string | undefined): Promise<string> {
    if (!cwd) throw new UsageError('The request names no directory (cwd) to find the project in.');
    const root = await findProjectRoot(cwd);
    if (!this.registry.has(root)) {
      await this.registry.add(root);
      this.feed.touch(root);
    }
    return root;
  }

  private async project(cwd: string): Promise<Project> {
    return this.projectAt(await this.projectRoot(cwd));
  }

  private projectAt(root: string): Project {
    let store = this.stores.get(root);
    if (!store) {
      store = new TaskStore(root, () => this.feed.touch(root));
      this.stores.set(root, store);
    }
    return openProject(root, store, this.dirs, this.terminals);
  }
}

function info(task: TaskRecord, project: Project): TaskInfo {
  const terminal = project.terminals.state(holderKey(project.root, task.id));
  return {
    id: task.id,
    slug: task.slug,
    ref: refOf(task),
    status: task.status,
    base_branch: task.base_branch,
    branch: task.branch,
    worktree: task.worktree,
    // With a broken config the default agent is unknown; the task still lists.
    agent: task.agent ?? (project.configError ? '?' : project.config.agent),
    created: task.created,
    updated: task.updated,
    exit_code: task.exit_code,
    merged_commit: task.merged_commit,
    waiting: task.waiting,
    title: titleOf(task.description),
    project: project.root,
    path: task.path,
    alive: terminal !== undefined,
    viewers: terminal?.viewers ?? 0,
    changes: null,
  };
}

/** What a finished task's branch holds against its base (DESIGN.md §4's review flow); null when there is no branch to look at. */
async function withChanges<T extends TaskInfo>(task: T): Promise<T> {
  if ((task.status !== 'completed' && task.status !== 'reviewed') || !task.branch || !task.base_branch || task.merged_commit) return task;
  const changes = await branchChanges(task.project, task.base_branch, task.branch).catch(() => null);
  return { ...task, changes };
}

function detail(task: TaskRecord, project: Project): TaskDetail {
  return { ...info(task, project), description: task.description, extra: task.extra, log: new TaskLog(project.dirs, project.root, task).path };
}


/** The refusal of a request that an agent's credentials do not reach. */
export function outsideScope(scope: string, what: string): string {
  return `An agent's Orchestra credentials (ORCHESTRA_TOKEN) reach only its own project ${scope}, and ${what}; a person's own orchestra command reaches every project.`;
}

/** The branch Orchestra makes for the task, by the project's branch_prefix (the default one while the config is broken). */
function ownBranch(project: Project, task: TaskRecord): string {
  return taskBranch(project.configError ? DEFAULT_CONFIG : project.config, task);
}

async function assertBranchExists(root: string, branch: string): Promise<void> {
  const problem = branchNameProblem(branch);
  if (problem) throw new UsageError(`${JSON.stringify(branch)} is not a branch name (${problem}).`);
  const branches = await localBranches(root);
  if (branches.includes(branch)) return;
  // A repository without commits has its current branch only as a name in HEAD.
  if (branches.length === 0 && (await currentBranch(root)) === branch) return;
  const close = closestMatches(branch, branches);
  const hint = close.length > 0 ? ` Did you mean ${close.join(' or ')}?` : branches.length > 0 ? ` Branches: ${branches.slice(0, 8).join(', ')}.` : '';
  const remote = await git(root, ['for-each-ref', '--format=%(refname:short)', `refs/remotes/*/${branch}`]).catch(() => '');
  const fetchHint = remote ? ` It exists as ${remote.split('\n')[0]}; create it with 'git branch ${branch} ${remote.split('\n')[0]}'.` : '';
  throw new UsageError(`There is no branch '${branch}' in ${root}.${fetchHint || hint}`);
}

