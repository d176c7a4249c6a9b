import { z } from 'zod';
import { MAX_DESCRIPTION_BYTES } from './daemon.js';

/**
 * Schemas of the daemon's request parameters. The daemon validates every request against
 * them before it acts, so a buggy or hostile client gets a clear error, never a half-done
 * operation; protocol/daemon.ts derives the parameter types from them.
 */

/**
 * Lengths no honest request comes near (a path, a task or branch name): a client that sends
 * a 7 MB name is refused before any work, which would copy it several times over.
 */
const cwd = z.string().min(1).max(4096);
const ref = z.string().min(1).max(1024);
const name = z.string().min(1).max(1024);
const slug = z.string().max(1024);

export const Params = {
  /** `token` and `project`: an agent's credentials (ORCHESTRA_TOKEN, ORCHESTRA_PROJECT_ROOT), which limit the connection to that project. */
  hello: z.object({ version: z.string(), protocol: z.number(), token: z.string().max(200).optional(), project: z.string().max(4096).optional() }),
  none: z.object({}).optional(),
  project: z.object({ cwd }),
  taskRef: z.object({ cwd, ref }),
  prepareTask: z.object({ cwd, slug, base_branch: name.optional(), agent: name.optional() }),
  createTask: z.object({
    cwd,
    slug,
    base_branch: name.optional(),
    agent: name.optional(),
    description: z.string().max(MAX_DESCRIPTION_BYTES),
  }),
  listTasks: z.object({ cwd: cwd.optional(), all: z.boolean().optional() }),
  setStatus: z.object({ cwd, ref, status: z.string().max(1024) }),
  startTask: z.object({
    cwd,
    ref,
    agent: name.optional(),
    skip_setup: z.boolean().optional(),
    /** The environment of the shell that ran `start`: the agent gets it (API keys, PATH). */
    env: z.record(z.string(), z.string()),
    cols: z.number().int().positive().max(10_000).optional(),
    rows: z.number().int().positive().max(10_000).optional(),
  }),
  stopTask: z.object({ cwd, ref, force: z.boolean().optional() }),
  /** An agent's event, as `orchestra hook <event>` passes it on: its name and the JSON the agent gave. */
  report: z.object({
    cwd,
    ref,
    event: name,
    data: z.record(z.string(), z.unknown()).optional(),
    /** When the hook started (ms since the epoch): hooks that run side by side may arrive out of order. */
    at: z.number().optional(),
  }),
  removeTask: z.object({ cwd, ref, force: z.boolean().optional(), delete_branch: z.boolean().optional() }),
  mergeTask: z.object({
    cwd,
    ref,
    /** merge (a merge commit, the default), squash (one commit) or rebase (then fast-forward). */
    strategy: z.enum(['merge', 'squash', 'rebase']).optional(),
    /** Commit the task worktree's uncommitted changes on its branch first. */
    commit: z.boolean().optional(),
    /** Remove the worktree and the branch afterwards. */
    cleanup: z.boolean().optional(),
    /** Merge although the agent is running. */
    force: z.boolean().optional(),
  }),
};

export type HelloParams = z.infer<typeof Params.hello>;
export type ProjectParams = z.infer<typeof Params.project>;
export type TaskRefParams = z.infer<typeof Params.taskRef>;
export type PrepareTaskParams = z.infer<typeof Params.prepareTask>;
export type CreateTaskParams = z.infer<typeof Params.createTask>;
export type ListTasksParams = z.infer<typeof Params.listTasks>;
export type SetStatusParams = z.infer<typeof Params.setStatus>;
export type StartTaskParams = z.infer<typeof Params.startTask>;
export type StopTaskParams = z.infer<typeof Params.stopTask>;
export type ReportParams = z.infer<typeof Params.report>;
export type RemoveTaskParams = z.infer<typeof Params.removeTask>;
export type MergeTaskParams = z.infer<typeof Params.mergeTask>;
export type MergeStrategy = NonNullable<MergeTaskParams['strategy']>;
