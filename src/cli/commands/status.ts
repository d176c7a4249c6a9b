import { homedir } from 'node:os';
import { Methods, TASK_STATUSES, type TaskInfo, type TaskProblem } from '../../../protocol/daemon.js';
import { printJson, withDaemon } from '../context.js';
import { age, paint, STATUS_STYLE, table } from '../output.js';

export interface StatusOptions {
  all?: boolean;
  json?: boolean;
}

/** `orchestra status`: the project's tasks grouped by status, in the order a task moves through them. */
export async function status(options: StatusOptions): Promise<void> {
  const list = await withDaemon((c) => c.request(Methods.listTasks, { cwd: process.cwd(), all: options.all }));
  for (const problem of list.problems) process.stderr.write(`orchestra: ${problemSentence(problem)}\n`);
  if (options.json) return printJson(list.tasks);
  if (list.tasks.length === 0) {
    console.log(options.all ? 'No tasks in any project yet.' : 'No tasks yet; create one with: orchestra new <slug> -m "what the agent should do"');
    return;
  }
  const width = process.stdout.isTTY ? process.stdout.columns : undefined;
  const projects = [...new Set(list.tasks.map((t) => t.project))];
  projects.forEach((project, index) => {
    if (options.all) {
      if (index > 0) console.log();
      console.log(paint(tildify(project), 'bold'));
    }
    printGroups(list.tasks.filter((t) => t.project === project), width);
  });
}

/** A task file's problem names the file; a config error's message names it already. */
function problemSentence(problem: TaskProblem): string {
  return problem.reason.includes(problem.path) ? problem.reason : `cannot read ${problem.path}: ${problem.reason}.`;
}

function printGroups(tasks: TaskInfo[], width: number | undefined): void {
  const rows: string[][] = [];
  const headings = new Map<number, string>();
  for (const status of TASK_STATUSES) {
    const group = tasks.filter((t) => t.status === status);
    if (group.length === 0) continue;
    headings.set(rows.length, `${paint(status, STATUS_STYLE[status])} ${paint(`(${group.length})`, 'dim')}`);
    for (const task of group) {
      // What a waiting agent waits for matters more than the title: someone has to answer it.
      const about = task.waiting ? paint(`waits for ${task.waiting}`, 'yellow') : task.title;
      rows.push([String(task.id), task.slug, task.agent, liveness(task), task.base_branch ?? '-', review(task), age(task.updated ?? task.created), about]);
    }
  }
  const lines = table(rows, { indent: '  ', width });
  lines.forEach((line, i) => {
    const heading = headings.get(i);
    if (heading) console.log(heading);
    console.log(line);
  });
}

/** For a finished task: what its branch would bring to the base, and whether it merges cleanly; or that it was merged. */
function review(task: TaskInfo): string {
  if (task.merged_commit) return paint(`merged ${task.merged_commit.slice(0, 7)}`, 'dim');
  const changes = task.changes;
  if (!changes) return '';
  if (changes.ahead === 0) return paint('nothing to merge', 'dim');
  const size = `+${changes.ahead}, ${changes.files} file${changes.files === 1 ? '' : 's'}`;
  return changes.conflicts.length > 0 ? `${size}, ${paint('conflicts', 'red')}` : `${size}, ${paint('clean', 'green')}`;
}

/** ● when an agent runs, how many watch it, and ? when it waits for a person's answer. */
function liveness(task: TaskInfo): string {
  if (!task.alive) return '';
  const viewers = task.viewers > 0 ? ` ${task.viewers} viewer${task.viewers > 1 ? 's' : ''}` : '';
  return `${paint(`●${viewers}`, 'green')}${task.waiting ? paint(' ?', 'yellow') : ''}`;
}

function tildify(path: string): string {
  const home = homedir();
  return path === home || path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}
