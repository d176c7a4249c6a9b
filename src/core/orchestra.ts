import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExitStatus, HolderTask } from '../../protocol/holder.js';
import {
  TASK_STATUSES,
  type CreateTaskParams,
  type StartTaskParams,
  type StopResult,
  type TerminalInfo,
  type InitResult,
  type ListTasksParams,
  type PreparedTask,
  type PrepareTaskParams,
  type TaskDetail,
  type TaskInfo,
  type TaskList,
  type TaskStatus,
} from '../../protocol/daemon.js';
import { agentInvocation, agentProfile, taskPrompt } from './agents.js';
import { agentNames, CONFIG_TEMPLATE, ConfigError, DEFAULT_CONFIG, loadConfig, projectConfigPath, SETUP_TEMPLATE, type Config } from './config.js';
import { OrchestraError, UsageError } from './errors.js';
import { describeExit } from './exit-status.js';
import { closestMatches } from './fuzzy.js';
import { currentBranch, findProjectRoot, git, localBranches } from './git.js';
import type { UserDirs } from './paths.js';
import { ProjectRegistry } from './registry.js';
import { assertValidSlug } from './slug.js';
import { runSetup } from './setup.js';
import { TaskLog } from './task-log.js';
import { refOf, TaskStore, type TaskChanges, type TaskRecord } from './task-store.js';
import { holderKey, type Terminals } from './terminals.js';
import { discardWorktree, ensureWorktree, taskBranch, taskWorktreePath, type TaskWorktree } from './worktree.js';

/** A project the core is working on: its root, task store and (fresh) configuration. */
interface Project {
  root: string;
  store: TaskStore;
  /** The project's configuration; throws its ConfigError when a config file is broken. */
  readonly config: Config;
  /** Why the configuration cannot be used, if it cannot: reported, but no obstacle to listing or stopping. */
  configError: ConfigError | undefined;
  terminals: Terminals;
  dirs: UserDirs;
}

export interface OrchestraOptions {
  dirs: UserDirs;
  terminals: Terminals;
  /** The daemon's socket, which agents get as ORCHESTRA_SOCKET. */
  daemonSocket: string;
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
  private readonly stores = new Map<string, TaskStore>();
  /** Starts in progress, by holder key: a second start is refused, and an exit waits for the start to be recorded. */
  private readonly starting = new Map<string, Promise<unknown>>();

  constructor(private readonly options: OrchestraOptions) {
    this.dirs = options.dirs;
    this.terminals = options.terminals;
    this.registry = new ProjectRegistry(options.dirs.state);
  }

  /** Writes `.orchestra/` with a commented config and a setup script template, keeping files that exist. */
  async initProject(cwd: string): Promise<InitResult> {
    const root = await findProjectRoot(cwd);
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
    await this.registry.add(root);
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
    const roots = params.all ? this.registry.list().filter((root) => existsSync(root)) : [await this.projectRoot(params.cwd)];
    const result: TaskList = { tasks: [], problems: [] };
    for (const root of roots) {
      const project = this.projectAt(root);
      const { tasks, problems } = await project.store.list();
      result.tasks.push(...tasks.map((t) => info(t, project)));
      result.problems.push(...problems);
      if (project.configError) result.problems.push({ path: project.configError.file, reason: project.configError.message });
    }
    return result;
  }

  async getTask(cwd: string, ref: string): Promise<TaskDetail> {
    const project = await this.project(cwd);
    return detail(await project.store.resolve(ref), project);
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

  /** Deletes a task's file. A task that has a worktree keeps it: removing work is never a side effect. */
  async removeTask(cwd: string, ref: string): Promise<TaskInfo> {
    const project = await this.project(cwd);
    const task = await project.store.resolve(ref);
    if (task.worktree && existsSync(task.worktree)) {
      throw new OrchestraError(
        `Task ${refOf(task)} has a worktree at ${task.worktree}; remove it first ('git worktree remove ${task.worktree}') so no work is lost silently.`,
      );
    }
    await project.store.remove(task);
    return info(task, project);
  }

  /**
   * Starts the task's agent in the background (DESIGN.md §1): its worktree (made on first
   * start), the setup script in a new worktree (its output goes to `output` and the task's
   * log), then a holder running the agent. Until the holder runs, nothing about the task
   * changes: a failed start leaves it as it was.
   */
  async startTask(params: StartTaskParams, output: (chunk: string) => void): Promise<TaskDetail> {
    const project = await this.project(params.cwd);
    const task = await project.store.resolve(params.ref);
    const key = holderKey(project.root, task.id);
    if (project.terminals.state(key) || this.starting.has(key)) {
      throw new OrchestraError(`Task ${refOf(task)}'s agent is running already; attach to it with 'orchestra attach ${task.id}'.`);
    }
    const started = this.start(project, task, key, params, output);
    this.starting.set(key, started);
    try {
      return await started;
    } finally {
      this.starting.delete(key);
    }
  }

  private async start(project: Project, task: TaskRecord, key: string, params: StartTaskParams, output: (chunk: string) => void): Promise<TaskDetail> {
    const { root, config } = project;
    const agentName = params.agent ?? task.agent ?? config.agent;
    assertKnownAgent(agentName, config);
    const profile = agentProfile(agentName, config);
    const log = new TaskLog(this.dirs, root, task);
    const branch = task.branch ?? taskBranch(config, task);
    const path = task.worktree && existsSync(task.worktree) ? task.worktree : taskWorktreePath(config, this.dirs, root, task);
    const vars: Record<string, string> = {
      ORCHESTRA_TASK_ID: String(task.id),
      ORCHESTRA_TASK_SLUG: task.slug,
      ORCHESTRA_TASK_FILE: task.path,
      ORCHESTRA_WORKTREE: path,
      ORCHESTRA_BRANCH: branch,
      ORCHESTRA_BASE_BRANCH: task.base_branch ?? '',
      ORCHESTRA_PROJECT_ROOT: root,
      ORCHESTRA_AGENT: agentName,
      ORCHESTRA_SOCKET: this.options.daemonSocket,
    };
    const env = { ...params.env, ...profile.env, ...vars };
    // The agent ran in this worktree before: continue its conversation where it can.
    const resume = task.worktree === path && existsSync(path) && task.status !== 'draft';
    const prompt = taskPrompt(task, branch);
    const promptFile = log.writePrompt(prompt);
    const values = { prompt, prompt_file: promptFile, task_id: String(task.id), slug: task.slug, worktree: path };
    // Checked before anything is made, so a missing agent costs nothing.
    const invocation = agentInvocation(profile, values, resume, env);

    const worktree = await ensureWorktree(root, task, path, branch);
    let launched = false;
    try {
      if (worktree.created) log.event(`created worktree ${worktree.path} on branch ${worktree.branch} from ${task.base_branch}`);
      if (worktree.adopted) log.event(`took up worktree ${worktree.path}, left by a start that did not finish`);
      if ((worktree.created || worktree.adopted) && !params.skip_setup) await this.runSetup(project, log, worktree, { ...params.env, ...vars }, output);
      const { agent_pid } = await project.terminals.launch({
        key,
        task: { id: task.id, slug: task.slug, project: root },
        agent: agentName,
        argv: invocation.argv,
        cwd: worktree.path,
        env: { ...env, ...invocation.env },
        cols: params.cols ?? 120,
        rows: params.rows ?? 36,
        logPath: log.path,
      });
      launched = true;
      log.event(`started agent '${agentName}'${invocation.resumed ? ' (resuming its conversation)' : ''}, pid ${agent_pid}: ${invocation.argv.join(' ')}`);
    } finally {
      if (!launched) await discardWorktree(root, worktree);
    }
    const changes: TaskChanges = { status: 'running', branch: worktree.branch, worktree: worktree.path, exit_code: undefined };
    if (params.agent !== undefined) changes.agent = params.agent;
    return detail(await project.store.update(task, changes), project);
  }

  private async runSetup(project: Project, log: TaskLog, worktree: TaskWorktree, env: Record<string, string>, output: (chunk: string) => void): Promise<void> {
    const { script, timeout } = project.config.setup;
    try {
      const ran = await runSetup({
        script,
        optional: script === DEFAULT_CONFIG.setup.script,
        root: project.root,
        worktree: worktree.path,
        timeoutSeconds: timeout,
        env,
        started: () => log.event(`setup: running ${script}`),
        output: (chunk) => {
          log.raw(chunk);
          output(chunk);
        },
        logPath: log.path,
      });
      log.event(ran ? 'setup: finished' : `setup: no ${script}, nothing to run`);
    } catch (error) {
      log.event(`setup: ${(error as Error).message}`);
      throw error;
    }
  }

  /** Ends the task's agent (gracefully unless `force`); the worktree stays as it is. */
  async stopTask(cwd: string, ref: string, force: boolean): Promise<StopResult> {
    const project = await this.project(cwd);
    const task = await project.store.resolve(ref);
    const key = holderKey(project.root, task.id);
    if (project.terminals.state(key)) new TaskLog(this.dirs, project.root, task).event(`stopping the agent, as asked${force ? ' (--force)' : ''}`);
    const exit = await project.terminals.stop(key, force);
    return { task: detail(await project.store.resolve(String(task.id)), project), was_running: exit !== null, how: exit ? describeExit(exit) : null };
  }

  /** Where to reach the task's terminal (for attach and peek), and the detach key to use. */
  async terminal(cwd: string, ref: string): Promise<TerminalInfo> {
    const project = await this.project(cwd);
    const task = await project.store.resolve(ref);
    const state = project.terminals.state(holderKey(project.root, task.id));
    if (!state) {
      const how = task.status === 'draft' ? `start it with 'orchestra start ${task.id}'` : `start it again with 'orchestra start ${task.id}'`;
      throw new OrchestraError(`Task ${refOf(task)}'s agent is not running; ${how}.`);
    }
    // A broken config does not keep anyone from a running agent.
    const detachKey = project.configError ? DEFAULT_CONFIG.detach_key : project.config.detach_key;
    return { ref: refOf(task), socket: state.socket, detach_key: detachKey };
  }

  /**
   * Records that a task's agent has ended: the task goes idle (a completed or reviewed
   * task keeps its status) with the exit code, and the log says why.
   */
  async agentExited(holder: HolderTask, status: ExitStatus | null, cause: string): Promise<void> {
    const project = this.projectAt(holder.project);
    // An agent that ends right after it started: its start is recorded first, then its end;
    // if the start failed because of it, the task stays as it was.
    const start = this.starting.get(holderKey(project.root, holder.id));
    const startFailed = start ? await start.then(() => false, () => true) : false;
    let task: TaskRecord;
    try {
      task = await project.store.resolve(String(holder.id));
    } catch {
      return; // The task file is gone; there is nothing to record in.
    }
    const code = status === null ? null : (status.code ?? 128 + (status.signal ?? 0));
    new TaskLog(this.dirs, project.root, task).event(`agent ended: ${describeExit(status)}${cause ? ` (${cause})` : ''}`);
    if (startFailed) return;
    const changes: TaskChanges = { exit_code: code ?? undefined };
    if (task.status === 'running') changes.status = 'idle';
    await project.store.update(task, changes);
  }

  private async changeStatus(cwd: string, ref: string, status: TaskStatus, check?: (task: TaskRecord) => void): Promise<TaskDetail> {
    const project = await this.project(cwd);
    const task = await project.store.resolve(ref);
    check?.(task);
    if (task.status === status) return detail(task, project);
    const changes: TaskChanges = { status };
    return detail(await project.store.update(task, changes), project);
  }

  private async projectRoot(cwd: string | undefined): Promise<string> {
    if (!cwd) throw new UsageError('The request names no directory (cwd) to find the project in.');
    const root = await findProjectRoot(cwd);
    await this.registry.add(root);
    return root;
  }

  private async project(cwd: string): Promise<Project> {
    return this.projectAt(await this.projectRoot(cwd));
  }

  private projectAt(root: string): Project {
    let store = this.stores.get(root);
    if (!store) {
      store = new TaskStore(root);
      this.stores.set(root, store);
    }
    let config: Config | undefined;
    let configError: ConfigError | undefined;
    try {
      config = loadConfig(root, this.dirs.config);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      configError = error;
    }
    return {
      root,
      store,
      get config(): Config {
        if (configError) throw configError;
        return config!;
      },
      configError,
      terminals: this.terminals,
      dirs: this.dirs,
    };
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
    title: titleOf(task.description),
    project: project.root,
    path: task.path,
    alive: terminal !== undefined,
    viewers: terminal?.viewers ?? 0,
  };
}

function detail(task: TaskRecord, project: Project): TaskDetail {
  return { ...info(task, project), description: task.description, extra: task.extra, log: new TaskLog(project.dirs, project.root, task).path };
}

/** The first line of text in a description, without markdown heading marks. */
function titleOf(description: string): string {
  const line = description.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.replace(/^#+\s*/, '').trim();
}

async function assertBranchExists(root: string, branch: string): Promise<void> {
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

function assertKnownAgent(agent: string, config: Config): void {
  const names = agentNames(config);
  if (names.includes(agent)) return;
  const close = closestMatches(agent, names);
  const hint = close.length ? ` (did you mean ${close.join(' or ')}?)` : '';
  throw new UsageError(`There is no agent profile '${agent}'${hint}; known profiles are ${names.join(', ')}, and others can be added under 'agents' in .orchestra/config.yaml.`);
}

