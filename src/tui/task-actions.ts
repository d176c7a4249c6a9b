import { Methods, type MergeStrategy, type TaskDetail, type TaskInfo } from '../../protocol/daemon.js';
import { requestStart } from '../cli/commands/agents.js';
import { createInEditor, editInEditor } from '../cli/commands/tasks.js';
import { withDaemon } from '../daemon/client.js';

/**
 * What the dashboard's keys do: each is one daemon request — the very one the CLI command
 * of the same name makes, with the same checks — and a sentence for the status line.
 * Failures reject with the daemon's own sentence.
 */

const at = (task: TaskInfo) => ({ cwd: task.project, ref: task.ref });

/** `s`: starts the agent with this terminal's environment and size; `progress` gets the setup script's output. */
export async function startAgent(task: TaskInfo, size: { cols: number; rows: number }, progress: (line: string) => void): Promise<string> {
  const started = await requestStart({ ...at(task), ...size }, (data) => {
    const lines = data.split('\n').filter((line) => line.trim() !== '');
    if (lines.length > 0) progress(`setup: ${lines[lines.length - 1]!.trim()}`);
  });
  return `Started ${started.ref} with ${started.agent} in ${started.worktree}; enter attaches.`;
}

/** `x`: ends the agent (interrupt, terminate, kill); its worktree stays. */
export async function stopAgent(task: TaskInfo): Promise<string> {
  const result = await withDaemon((client) => client.request(Methods.stopTask, { ...at(task), force: false }));
  if (!result.was_running) return `${task.ref} has no running agent; nothing to stop.`;
  return `Stopped ${task.ref} (${result.how}); its worktree stays, s starts it again.`;
}

export async function completeTask(task: TaskInfo): Promise<string> {
  const done = await withDaemon((client) => client.request(Methods.completeTask, at(task)));
  return `${done.ref} is ${done.status}.`;
}

export async function reviewTask(task: TaskInfo): Promise<string> {
  const done = await withDaemon((client) => client.request(Methods.reviewTask, at(task)));
  return `${done.ref} is ${done.status}.`;
}

/** `m`, after the person said yes: the merge `orchestra merge` makes, refused for the same reasons. */
export async function mergeTask(task: TaskInfo, strategy: MergeStrategy): Promise<string> {
  const result = await withDaemon((client) => client.request(Methods.mergeTask, { ...at(task), strategy }));
  const how = { merge: 'with a merge commit', squash: 'as one commit', rebase: 'rebased and fast-forwarded' }[strategy];
  return `Merged ${result.task.ref} into ${result.task.base_branch} ${how}: ${result.merged_commit.slice(0, 12)}.`;
}

/** The question the person answers before a merge: what would be merged into what. */
export function mergeQuestion(task: TaskInfo): string {
  const changes = task.changes;
  const what = changes ? ` (${changes.ahead} commit${changes.ahead === 1 ? '' : 's'}, ${changes.files} file${changes.files === 1 ? '' : 's'}${changes.conflicts.length > 0 ? ', conflicts' : ', clean'})` : '';
  return `Merge ${task.ref} into ${task.base_branch ?? 'its base'}${what}? y merge commit · s squash · any other key cancels`;
}

/** `n`, first: whether a task of this slug can be made in `cwd`'s project (nothing is written). */
export async function prepareTask(cwd: string, slug: string): Promise<void> {
  await withDaemon((client) => client.request(Methods.prepareTask, { cwd, slug }));
}

/** `n`: a new task in `cwd`'s project, described in the editor (the terminal must be the editor's meanwhile). */
export function createTask(cwd: string, slug: string): Promise<TaskDetail> {
  return createInEditor({ cwd, slug });
}

/** `e`: the task's file in the editor, checked afterwards. */
export async function editTask(task: TaskInfo): Promise<string> {
  const saved = await editInEditor(task.project, task.ref);
  return `Saved ${saved.ref}.`;
}

/** Where to reach the agent's terminal, for attach and the preview. */
export function terminalOf(task: TaskInfo) {
  return withDaemon((client) => client.request(Methods.terminal, at(task)));
}

/** The task with its description and log path, for the pane of a task without an agent. */
export function detailOf(task: TaskInfo): Promise<TaskDetail> {
  return withDaemon((client) => client.request(Methods.getTask, at(task)));
}
