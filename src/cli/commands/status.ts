import { Methods, TASK_STATUSES, type TaskInfo, type TaskList } from '../../../protocol/daemon.js';
import { printJson, withDaemon } from '../context.js';
import { terminalSafeFields } from '../../client/text.js';
import { age, branchSummary, liveness, paint, problemSentence, STATUS_STYLE, table, tildify } from '../output.js';

export interface StatusOptions {
  all?: boolean;
  json?: boolean;
  watch?: boolean;
}

/** `orchestra status`: the project's tasks grouped by status, in the order a task moves through them. */
export async function status(options: StatusOptions): Promise<void> {
  if (options.watch) return watch(options);
  const list = await withDaemon((c) => c.request(Methods.listTasks, { cwd: process.cwd(), all: options.all }));
  for (const problem of list.problems) process.stderr.write(`orchestra: ${problemSentence(problem)}\n`);
  if (options.json) return printJson(list.tasks);
  process.stdout.write(overview(list, options));
}

/**
 * `status --watch`: the overview again whenever a task changes, from the daemon's change
 * events (no polling), until ctrl-c. On a terminal each overview replaces the last; into a
 * pipe they follow each other, and with --json each is one line of JSON.
 */
async function watch(options: StatusOptions): Promise<void> {
  const { LiveTasks } = await import('../../daemon/live-tasks.js');
  const tty = Boolean(process.stdout.isTTY);
  let timer: NodeJS.Timeout | undefined;
  const print = () => {
    timer = undefined;
    const list = { tasks: live.list, problems: live.problems };
    if (options.json) return void process.stdout.write(`${JSON.stringify(list.tasks)}\n`);
    const problems = list.problems.map((problem) => `${paint(`orchestra: ${problemSentence(problem)}`, 'yellow')}\n`).join('');
    const stamp = paint(`orchestra status --watch · ${new Date().toLocaleTimeString()} · ctrl-c stops`, 'dim');
    process.stdout.write(tty ? `\x1b[H\x1b[2J${stamp}\n\n${overview(list, options)}${problems}` : `${overview(list, options)}\n`);
  };
  const live = new LiveTasks(
    { cwd: process.cwd(), all: options.all },
    {
      // A burst of changes is one overview.
      changed: () => (timer ??= setTimeout(print, 50)),
      connection: (_state, detail) => process.stderr.write(`orchestra: ${detail}\n`),
    },
  );
  await live.open();
  // On a terminal the ages ("5m ago") move on even when nothing changes.
  if (tty && !options.json) setInterval(() => (timer ??= setTimeout(print, 0)), 30_000);
  await new Promise<never>(() => {});
}

/** The overview as text, a project at a time. */
function overview(list: TaskList, options: StatusOptions): string {
  if (list.tasks.length === 0) {
    return options.all ? 'No tasks in any project yet.\n' : 'No tasks yet; create one with: orchestra new <slug> -m "what the agent should do"\n';
  }
  const width = process.stdout.isTTY ? process.stdout.columns : undefined;
  // Every text field comes from a task file or an agent's report: shown, never obeyed by the terminal.
  const tasks = list.tasks.map(terminalSafeFields);
  const projects = [...new Set(tasks.map((t) => t.project))];
  const lines: string[] = [];
  projects.forEach((project, index) => {
    if (options.all) {
      if (index > 0) lines.push('');
      lines.push(paint(tildify(project), 'bold'));
    }
    lines.push(...groups(tasks.filter((t) => t.project === project), width));
  });
  return `${lines.join('\n')}\n`;
}

function groups(tasks: TaskInfo[], width: number | undefined): string[] {
  const rows: string[][] = [];
  const headings = new Map<number, string>();
  for (const status of TASK_STATUSES) {
    const group = tasks.filter((t) => t.status === status);
    if (group.length === 0) continue;
    headings.set(rows.length, `${paint(status, STATUS_STYLE[status])} ${paint(`(${group.length})`, 'dim')}`);
    for (const task of group) {
      // What a waiting agent waits for matters more than the title: someone has to answer it.
      const about = task.waiting ? paint(`waits for ${task.waiting}`, 'yellow') : task.title;
      rows.push([String(task.id), task.slug, task.agent, liveness(task), task.base_branch ?? '-', branchSummary(task), age(task.updated ?? task.created), about]);
    }
  }
  const lines: string[] = [];
  table(rows, { indent: '  ', width }).forEach((line, i) => {
    const heading = headings.get(i);
    if (heading) lines.push(heading);
    lines.push(line);
  });
  return lines;
}
