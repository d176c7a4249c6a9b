import type * as P from './daemon-params.js';

/** The longest task description, in bytes: the request that carries it must stay under the daemon's 2 MiB. */
export const MAX_DESCRIPTION_BYTES = 1.5 * 1024 * 1024;

// The parameter types, derived from the schemas the daemon validates with.
export type * from './daemon-params.js';

/**
 * The daemon's JSON-RPC 2.0 interface (see protocol/README.md): method names, parameter and
 * result shapes. The daemon implements these; the CLI, MCP server and TUI call them. Field
 * names are snake_case because they are also the stable `--json` output of the CLI.
 */

/** Bumped when a method changes incompatibly; a client that sees another version replaces the daemon. */
export const DAEMON_PROTOCOL_VERSION = 1;

export const TASK_STATUSES = ['draft', 'running', 'idle', 'completed', 'reviewed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Error codes of failed requests; equal to the exit status the CLI uses for them. */
export const ErrorCodes = {
  /** The operation failed (unknown task, git error, malformed file …). */
  Failed: 1,
  /** The request was malformed or used wrongly (bad slug, unknown status …). */
  Usage: 2,
} as const;

/** One task as every interface shows it; `status --json` prints an array of these. */
export interface TaskInfo {
  id: number;
  slug: string;
  /** `id:slug`, the unambiguous reference. */
  ref: string;
  status: TaskStatus;
  base_branch: string | null;
  branch: string | null;
  worktree: string | null;
  /** The agent profile the task runs with: its own `agent` key, else the project default. */
  agent: string;
  created: string | null;
  updated: string | null;
  exit_code: number | null;
  merged_commit: string | null;
  /** What the agent waits for a person to answer (a question, a permission), while it does; else null. */
  waiting: string | null;
  /** The first line of the description. */
  title: string;
  /** The project's root (the main checkout). */
  project: string;
  /** The task file. */
  path: string;
  /** Whether an agent process runs for this task. */
  alive: boolean;
  /** How many clients are attached to its terminal. */
  viewers: number;
  /** For a completed or reviewed task with a branch: what the branch holds against its base. */
  changes: BranchChanges | null;
}

/** What a task's branch holds against its base branch, computed without touching a work tree. */
export interface BranchChanges {
  /** Commits on the branch that the base does not have. */
  ahead: number;
  /** Files the branch changes against the base (committed work). */
  files: number;
  /** Files that would conflict in a merge into the base; empty when it merges cleanly. */
  conflicts: string[];
}

/** A task with its description and the front-matter keys Orchestra does not know. */
export interface TaskDetail extends TaskInfo {
  description: string;
  extra: Record<string, unknown>;
  /** The task's log: setup output, starts, stops, exits (`orchestra logs`). */
  log: string;
}

export interface StopResult {
  task: TaskDetail;
  /** False when no agent ran, so there was nothing to stop. */
  was_running: boolean;
  /** How the agent ended ("killed by SIGINT", "exit code 0"); null when none ran. */
  how: string | null;
}

/** What `task.remove` did besides deleting the task file. */
export interface RemoveResult {
  task: TaskInfo;
  /** The worktree that was removed, if there was one. */
  removed_worktree: string | null;
  /** The branch that was deleted (only with delete_branch). */
  deleted_branch: string | null;
  /** Whether an agent was running and was stopped. */
  stopped: boolean;
}

export interface MergeResult {
  task: TaskDetail;
  /** The commit the base branch is at after the merge (recorded as the task's merged_commit). */
  merged_commit: string;
  strategy: P.MergeStrategy;
  /** The worktree removed by cleanup, if any. */
  removed_worktree: string | null;
  /** The branch deleted by cleanup, if any. */
  deleted_branch: string | null;
}

/** What `task.report` made of an agent's event: the activity it means, or null for an event that says nothing of it. */
export interface ReportResult {
  ref: string;
  state: 'running' | 'idle' | 'waiting' | null;
}

/** How a client reaches a running task's terminal: the holder's socket (protocol/holder.ts). */
export interface TerminalInfo {
  ref: string;
  socket: string;
  /** The project's configured detach key. */
  detach_key: string;
}

/** Notification the daemon sends during `task.start`: output of the setup script, as it comes. */
export const SETUP_OUTPUT_NOTIFICATION = 'task.setup_output';

/**
 * Notification the daemon sends a `task.subscribe`r whenever one of its projects' tasks
 * change: the tasks that are new or differ, the refs of those that are gone, and the
 * project's unreadable files as they are now.
 */
export const TASKS_CHANGED_NOTIFICATION = 'task.changed';

export interface TaskListChange {
  project: string;
  /** Tasks that are new or differ from the last list or change sent, whole. */
  tasks: TaskInfo[];
  /** Refs (`id:slug`) of the project's tasks that no longer exist. */
  removed: string[];
  /** Every file of the project that cannot be read, now. */
  problems: TaskProblem[];
}

/** A task file that could not be read; listed next to the tasks that could. */
export interface TaskProblem {
  /** The project the file belongs to. */
  project: string;
  path: string;
  reason: string;
}

export interface HelloResult {
  version: string;
  protocol: number;
  pid: number;
}

export interface DaemonStatus {
  pid: number;
  version: string;
  protocol: number;
  started: string;
  socket: string;
  log: string;
  projects: string[];
}

export interface InitResult {
  root: string;
  created: string[];
  existing: string[];
}

export interface PreparedTask {
  project: string;
  slug: string;
  base_branch: string;
  agent: string;
}

export interface TaskList {
  tasks: TaskInfo[];
  problems: TaskProblem[];
}

/**
 * A method: its name on the wire and, for the type checker only, its parameter and result
 * types. Plain objects, so that a client loads no JSON-RPC library to name a method.
 */
export interface Method<P, R> {
  readonly method: string;
  readonly types?: { params: P; result: R };
}

function request<P, R>(method: string): Method<P, R> {
  return { method };
}

export const Methods = {
  hello: request<P.HelloParams, HelloResult>('daemon.hello'),
  status: request<Record<string, never>, DaemonStatus>('daemon.status'),
  shutdown: request<Record<string, never>, null>('daemon.shutdown'),
  initProject: request<P.ProjectParams, InitResult>('project.init'),
  prepareTask: request<P.PrepareTaskParams, PreparedTask>('task.prepare'),
  createTask: request<P.CreateTaskParams, TaskDetail>('task.create'),
  listTasks: request<P.ListTasksParams, TaskList>('task.list'),
  /** task.list, then `task.changed` notifications for as long as the connection stays open. */
  subscribeTasks: request<P.ListTasksParams, TaskList>('task.subscribe'),
  getTask: request<P.TaskRefParams, TaskDetail>('task.get'),
  taskPath: request<P.TaskRefParams, { path: string }>('task.path'),
  completeTask: request<P.TaskRefParams, TaskDetail>('task.complete'),
  reviewTask: request<P.TaskRefParams, TaskDetail>('task.review'),
  setTaskStatus: request<P.SetStatusParams, TaskDetail>('task.set_status'),
  removeTask: request<P.RemoveTaskParams, RemoveResult>('task.remove'),
  mergeTask: request<P.MergeTaskParams, MergeResult>('task.merge'),
  startTask: request<P.StartTaskParams, TaskDetail>('task.start'),
  stopTask: request<P.StopTaskParams, StopResult>('task.stop'),
  terminal: request<P.TaskRefParams, TerminalInfo>('task.terminal'),
  report: request<P.ReportParams, ReportResult>('task.report'),
} as const;
