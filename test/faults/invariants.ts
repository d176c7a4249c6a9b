import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Methods, type TaskInfo, type TaskList } from '../../protocol/daemon.js';
import { loadConfig } from '../../src/core/config.js';
import { userDirs } from '../../src/core/paths.js';
import { projectKey } from '../../src/core/worktree.js';
import { canonicalPath } from '../../src/platform/canonical-path.js';
import { commandTable } from '../helpers/processes.js';
import { alive, git, type Sandbox } from '../helpers/sandbox.js';

/**
 * What must hold after every fault (issue 16): the daemon answers, every task file parses
 * and keeps the person's edits, nothing is left that no task owns (worktree, branch,
 * directory, process, a half-done merge), and every task's status says what is true.
 */

export type ViolationKind =
  /** The daemon does not answer, or is another process than before a fault that was not its death. */
  | 'daemon'
  /** A task file that does not parse. */
  | 'unreadable'
  /** A person's edit that is gone. */
  | 'edit'
  /** Something left behind that no task owns. */
  | 'orphan'
  /** A task whose file says something that is not so. */
  | 'status';

export interface Violation {
  kind: ViolationKind;
  what: string;
}

export interface Expected {
  /** The daemon that served before the fault, when the fault was not its death: another pid means it died. */
  daemonPid?: number;
  /** What a person wrote into task files before the fault; `removable`: the operation deletes the file (rm). */
  edits?: HandEdit[];
  /** The commit of each task's work, by task id: merged_commit is recorded exactly when the base branch holds it. */
  work?: Map<number, string>;
}

export interface HandEdit {
  path: string;
  /** Lines the person wrote, each of which must still be in the file. */
  lines: string[];
  removable?: boolean;
}

/** Every violation of the invariants in the sandbox's `projects`; empty when all hold. */
export async function checkInvariants(sandbox: Sandbox, projects: string[], expected: Expected = {}): Promise<Violation[]> {
  const violations: Violation[] = [];
  const add = (kind: ViolationKind, what: string) => violations.push({ kind, what });

  const lists = await daemonLists(sandbox, projects, expected.daemonPid, add);
  for (const project of projects) {
    // The daemon answers a person's command too (and starts again if it had died: that was counted above).
    const cli = await sandbox.run(['status', '--json'], { cwd: project });
    if (cli.code !== 0) add('daemon', `'orchestra status --json' in ${project} exited ${cli.code}: ${cli.stderr.trim()}`);
    const list = lists.get(project) ?? (cli.code === 0 ? { tasks: JSON.parse(cli.stdout) as TaskInfo[], problems: [] } : undefined);
    if (!list) continue;
    for (const problem of list.problems) add('unreadable', `${problem.path}: ${problem.reason}`);
    checkGit(sandbox, project, list.tasks, expected.work ?? new Map(), add);
    checkHolders(sandbox, project, list.tasks, add);
  }
  checkProcesses(sandbox, [...lists.values()].flatMap((list) => list.tasks), add);
  for (const edit of expected.edits ?? []) {
    if (!existsSync(edit.path)) {
      if (!edit.removable) add('edit', `${edit.path}, edited by hand, is gone`);
      continue;
    }
    const text = readFileSync(edit.path, 'utf8');
    for (const line of edit.lines) if (!text.includes(line)) add('edit', `${edit.path} lost the line '${line}' written by hand:\n${text}`);
  }
  return violations;
}

/** Each project's tasks as the daemon lists them, over a JSON-RPC round trip of its own. */
async function daemonLists(sandbox: Sandbox, projects: string[], pid: number | undefined, add: (kind: ViolationKind, what: string) => void): Promise<Map<string, TaskList>> {
  const lists = new Map<string, TaskList>();
  let rpc: Awaited<ReturnType<Sandbox['rpc']>>;
  try {
    rpc = await sandbox.rpc();
  } catch (error) {
    add('daemon', `the daemon does not answer on its socket (${(error as Error).message})`);
    return lists;
  }
  try {
    if (pid !== undefined && rpc.hello.pid !== pid) add('daemon', `the daemon died: pid ${pid} served before the fault, ${rpc.hello.pid} after`);
    for (const project of projects) lists.set(project, await rpc.client.request<TaskList>(Methods.listTasks.method, { cwd: project }));
  } catch (error) {
    add('daemon', `the daemon did not answer task.list (${(error as Error).message})`);
  } finally {
    rpc.client.close();
  }
  return lists;
}

/** Worktrees, branches and the main checkout against what the task files record. */
function checkGit(sandbox: Sandbox, root: string, tasks: TaskInfo[], work: Map<number, string>, add: (kind: ViolationKind, what: string) => void): void {
  const prefix = loadConfig(root, userDirs(sandbox.env).config).branch_prefix;
  const worktrees = gitWorktrees(root);
  const branches = git(root, 'for-each-ref', '--format=%(refname)', 'refs/heads/')
    .split('\n')
    .map((ref) => ref.slice('refs/heads/'.length))
    .filter((branch) => branch.startsWith(prefix));
  const realOr = (path: string) => (existsSync(path) ? canonicalPath(path) : path);
  const owner = (path: string) => tasks.find((task) => task.worktree !== null && realOr(task.worktree) === path);

  for (const [path, branch] of worktrees) {
    if (path === root) continue;
    const task = owner(path);
    if (!task) add('orphan', `git lists the worktree ${path} (branch ${branch || 'detached'}), which no task records`);
    else if (task.branch !== branch) add('status', `task ${task.ref} records the worktree ${path} on ${task.branch}, but git has it on ${branch || 'a detached HEAD'}`);
    if (!existsSync(path)) add('orphan', `git lists the worktree ${path}, whose directory is gone`);
  }
  const made = join(userDirs(sandbox.env).data, 'worktrees', projectKey(root));
  for (const name of existsSync(made) ? readdirSync(made) : []) {
    const path = canonicalPath(join(made, name));
    if (!worktrees.has(path)) add('orphan', `the directory ${path} is left where a worktree was, and git does not list it`);
  }
  for (const branch of branches) {
    if (!tasks.some((task) => task.branch === branch)) add('orphan', `the branch ${branch} belongs to no task`);
  }
  const status = git(root, 'status', '--porcelain', '--untracked-files=all');
  if (status !== '') add('orphan', `the main checkout ${root} has changes nobody made by hand:\n${status}`);
  for (const state of ['MERGE_HEAD', 'REBASE_HEAD', 'CHERRY_PICK_HEAD']) {
    if (existsSync(join(root, '.git', state))) add('orphan', `the main checkout ${root} is left in the middle of an operation (${state})`);
  }

  for (const task of tasks) {
    const ended = task.merged_commit !== null;
    if (task.worktree !== null && !worktrees.has(realOr(task.worktree)) && !ended) add('status', `task ${task.ref} (${task.status}) records the worktree ${task.worktree}, which git does not list`);
    if (task.branch !== null && !hasBranch(root, task.branch) && !ended) add('status', `task ${task.ref} (${task.status}) records the branch ${task.branch}, which does not exist`);
    if (task.status === 'draft' && task.alive) add('status', `task ${task.ref} is a draft, yet its agent runs`);
    if (task.status === 'running' && !task.alive) add('status', `task ${task.ref} is running, yet no agent runs`);
    if (task.alive && (task.branch === null || task.worktree === null)) add('status', `task ${task.ref}'s agent runs, but its file records no ${task.branch === null ? 'branch' : 'worktree'}`);
    const base = task.base_branch;
    if (task.merged_commit !== null && base !== null && !isAncestor(root, task.merged_commit, base)) {
      add('status', `task ${task.ref} records merged_commit ${task.merged_commit}, which ${base} does not hold`);
    }
    const commit = work.get(task.id);
    if (commit !== undefined && base !== null) {
      const merged = isAncestor(root, commit, base);
      if (merged && task.merged_commit === null) add('status', `task ${task.ref}'s work ${commit} is on ${base}, but no merged_commit is recorded`);
      if (!merged && task.merged_commit !== null) add('status', `task ${task.ref} records merged_commit ${task.merged_commit}, but its work ${commit} is not on ${base}`);
    }
  }
}

/** The daemon's word on which agents run, against the holders that do. */
function checkHolders(sandbox: Sandbox, root: string, tasks: TaskInfo[], add: (kind: ViolationKind, what: string) => void): void {
  const holders = sandbox.holders().filter((holder) => holder.task.project === root);
  for (const task of tasks.filter((t) => t.alive)) {
    const holder = holders.find((h) => h.task.id === task.id);
    if (!holder || !alive(holder.pid)) add('status', `the daemon says task ${task.ref}'s agent runs, but its holder ${holder ? `(pid ${holder.pid}) ` : ''}is gone`);
  }
}

/**
 * No process of the sandbox (one whose command line names a path in it: holders by their
 * spec file, test agents by an argument) runs but the holders of tasks the daemon says run,
 * and what they started.
 */
function checkProcesses(sandbox: Sandbox, tasks: TaskInfo[], add: (kind: ViolationKind, what: string) => void): void {
  const running = sandbox.holders().filter((h) => tasks.some((t) => t.alive && t.id === h.task.id && t.project === h.task.project));
  const table = commandTable();
  const owned = new Set(running.flatMap((h) => [h.pid, h.agent_pid]));
  // Descendants of an owned process are owned: an agent's children, a holder's systemd-run.
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of table) {
      if (owned.has(row.pid) || !owned.has(row.ppid)) continue;
      owned.add(row.pid);
      grew = true;
    }
  }
  for (const row of table) {
    if (row.pid === process.pid || !row.command.includes(sandbox.root) || owned.has(row.pid) || isZombie(row.pid)) continue;
    add('orphan', `process ${row.pid} (${row.command.slice(0, 200)}) runs for no running task`);
  }
}

/** Real path → branch ('' when detached) of every worktree git lists. */
function gitWorktrees(root: string): Map<string, string> {
  const result = new Map<string, string>();
  let current: string | undefined;
  for (const line of git(root, 'worktree', 'list', '--porcelain').split('\n')) {
    if (line.startsWith('worktree ')) {
      const path = line.slice('worktree '.length);
      current = existsSync(path) ? canonicalPath(path) : path;
      result.set(current, '');
    } else if (line.startsWith('branch refs/heads/') && current !== undefined) {
      result.set(current, line.slice('branch refs/heads/'.length));
    }
  }
  return result;
}

function hasBranch(root: string, branch: string): boolean {
  return gitSucceeds(root, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`]);
}

function isAncestor(root: string, commit: string, branch: string): boolean {
  return gitSucceeds(root, ['merge-base', '--is-ancestor', commit, `refs/heads/${branch}`]);
}

function gitSucceeds(cwd: string, args: string[]): boolean {
  try {
    execFileSync('git', args, { cwd, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** An ended process its parent has not reaped yet runs nothing. */
function isZombie(pid: number): boolean {
  try {
    return execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim().startsWith('Z');
  } catch {
    return true; // Gone since the table was read.
  }
}
