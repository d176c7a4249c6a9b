import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Methods, type TaskDetail } from '../../protocol/daemon.js';
import { git, type Sandbox } from './sandbox.js';

export interface TaskWithWork {
  id: string;
  path: string;
  worktree: string;
  branch: string;
  /** The commit of the work on the task's branch. */
  commit: string;
}

/**
 * A started (and stopped) task whose worktree has committed `files`, as an agent would have
 * left it. Made over the daemon's socket, as the CLI does, without a CLI start-up per step.
 */
export async function taskWithWork(sandbox: Sandbox, repo: string, slug: string, files: Record<string, string>, description = `Work on ${slug}.`): Promise<TaskWithWork> {
  const { client } = await sandbox.rpc({ start: true });
  let task: TaskDetail;
  try {
    const created = await client.request<TaskDetail>(Methods.createTask.method, { cwd: repo, slug, description });
    const ref = String(created.id);
    const env = Object.fromEntries(Object.entries(sandbox.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
    await client.request(Methods.startTask.method, { cwd: repo, ref, env });
    await client.request(Methods.stopTask.method, { cwd: repo, ref, force: true });
    task = await client.request<TaskDetail>(Methods.getTask.method, { cwd: repo, ref });
  } finally {
    client.close();
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(task.worktree!, name), text);
  git(task.worktree!, 'add', '.');
  git(task.worktree!, 'commit', '-q', '-m', `${slug}: work`);
  return { id: String(task.id), path: task.path, worktree: task.worktree!, branch: task.branch!, commit: git(task.worktree!, 'rev-parse', 'HEAD') };
}
