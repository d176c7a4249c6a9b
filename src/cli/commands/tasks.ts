import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { MAX_DESCRIPTION_BYTES, Methods, type PrepareTaskParams, type TaskDetail } from '../../../protocol/daemon.js';
import { terminalSafe, terminalSafeFields } from '../../client/text.js';
import { OrchestraError, UsageError } from '../../core/errors.js';
import { mergedAway } from '../../core/merged-away.js';
import type { DaemonClient } from '../../daemon/client.js';
import { printJson, withDaemon } from '../context.js';
import { openEditor } from '../editor.js';
import { age, paint, STATUS_STYLE } from '../output.js';

/** Task commands: each adapts its arguments to one daemon request and prints the result. */

const cwd = () => process.cwd();

export async function init(): Promise<void> {
  const result = await withDaemon((c) => c.request(Methods.initProject, { cwd: cwd() }));
  const names = (paths: string[]) => paths.map((p) => p.slice(result.root.length + 1)).join(', ');
  if (result.created.length > 0) console.log(`Initialised ${result.root}: created ${names(result.created)}.`);
  if (result.existing.length > 0) console.log(`Kept ${names(result.existing)}, which ${result.existing.length > 1 ? 'exist' : 'exists'} already.`);
}

export interface NewOptions {
  message?: string;
  base?: string;
  agent?: string;
  json?: boolean;
}

export async function newTask(slug: string, options: NewOptions): Promise<void> {
  const params = { cwd: cwd(), slug, base_branch: options.base, agent: options.agent };
  // Read as a stream: stdin may be a pipe whose writer is slow or large, where a plain
  // read of fd 0 fails with EAGAIN once stdin is non-blocking.
  const piped = options.message === undefined && !process.stdin.isTTY ? await text(process.stdin) : undefined;
  const description = options.message ?? piped;
  const task = description === undefined ? await createInEditor(params) : await withDaemon((c) => c.request(Methods.createTask, { ...params, description: nonEmpty(description) }));
  if (options.json) return printJson(task);
  console.log(`Created ${paint(task.ref, 'bold')} (${task.status}, base ${task.base_branch}, agent ${task.agent}): ${task.path}`);
}

/**
 * Creates a task whose description the person writes in their editor (`new` on a
 * terminal, `n` in the dashboard). Slug, base and agent are checked before the editor
 * opens, so no description is written for a task that cannot be made; when creating
 * fails after all, the description is kept and the error says where. No connection to the
 * daemon is held while the editor is open: the daemon closes idle ones.
 */
export async function createInEditor(params: PrepareTaskParams): Promise<TaskDetail> {
  const prepared = await withDaemon((c) => c.request(Methods.prepareTask, params));
  const draft = describeInEditor(prepared.slug, prepared.base_branch, prepared.agent);
  try {
    const created = await withDaemon((c) => c.request(Methods.createTask, { ...params, description: nonEmpty(draft.description) }));
    rmSync(draft.dir, { recursive: true, force: true });
    return created;
  } catch (error) {
    if (draft.description.trim() === '') rmSync(draft.dir, { recursive: true, force: true });
    else if (error instanceof OrchestraError) throw new OrchestraError(`${error.message.replace(/\.$/, '')}; your description is kept in ${draft.file}.`, error.exitCode);
    throw error;
  }
}

const TEMPLATE_NOTE = (slug: string, base: string, agent: string) =>
  `<!--\nDescribe task '${slug}' for the agent (base branch ${base}, agent ${agent}) above this comment.\nSave and close the editor to create it; an empty description creates nothing.\nThis comment is removed.\n-->\n`;

function nonEmpty(description: string): string {
  if (description.trim() === '') {
    throw new UsageError('The description is empty, so no task was created; say what the agent should do with -m TEXT, on stdin, or in the editor.');
  }
  const bytes = Buffer.byteLength(description);
  if (bytes > MAX_DESCRIPTION_BYTES) {
    throw new UsageError(`The description is ${(bytes / 2 ** 20).toFixed(1)} MiB, more than a task takes (${MAX_DESCRIPTION_BYTES / 2 ** 20} MiB), so no task was created; put the material in a file of the repository and have the description point at it.`);
  }
  return description;
}

/** Lets the person write the description in their editor; the file stays until the task exists, so no text is lost. */
function describeInEditor(slug: string, base: string, agent: string): { description: string; file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'orchestra-new-'));
  const file = join(dir, `${slug}.md`);
  const note = TEMPLATE_NOTE(slug, base, agent);
  writeFileSync(file, `\n${note}`);
  openEditor(file);
  const text = readFileSync(file, 'utf8').replace(note, '').replace(/^\s*\n/, '').trimEnd();
  const description = text === '' ? '' : `${text}\n`;
  return { description, file, dir };
}

export async function edit(ref: string): Promise<void> {
  await editInEditor(cwd(), ref);
}

/**
 * Opens the task's file in the person's editor, then checks that Orchestra can still read
 * it; with no connection to the daemon held meanwhile (it closes idle ones).
 */
export async function editInEditor(cwd: string, ref: string): Promise<TaskDetail> {
  // By path, so that a file Orchestra cannot read can still be opened and repaired.
  const { path } = await withDaemon((c) => c.request(Methods.taskPath, { cwd, ref }));
  openEditor(path);
  try {
    return await withDaemon((c) => c.request(Methods.getTask, { cwd, ref }));
  } catch (error) {
    if (!(error instanceof OrchestraError) || !existsSync(path)) throw error;
    throw new OrchestraError(`${error.message.replace(/\.$/, '')}; the file is kept as you saved it: run 'orchestra edit ${ref}' to fix it.`);
  }
}

export async function show(ref: string, options: { json?: boolean }): Promise<void> {
  const task = await withDaemon((c) => c.request(Methods.getTask, { cwd: cwd(), ref }));
  if (options.json) return printJson(task);
  printTask(task);
}

/** The task for a person: every text from its file made terminalSafe, the description keeping its lines. */
function printTask(detail: TaskDetail): void {
  const task = terminalSafeFields(detail);
  console.log(`${paint(task.ref, 'bold')}  ${paint(task.status, STATUS_STYLE[task.status])}`);
  const removed = mergedAway(task.ref, task) ? 'removed after the merge (merge --cleanup)' : null;
  const fields: Array<[string, string | number | null]> = [
    ['base', task.base_branch],
    ['agent', task.agent],
    ['branch', task.branch ?? removed],
    ['worktree', task.worktree ?? removed],
    ['exit code', task.exit_code],
    ['merged', task.merged_commit],
    ['created', task.created && `${task.created} (${age(task.created)})`],
    ['updated', task.updated && `${task.updated} (${age(task.updated)})`],
    ['file', task.path],
    // JSON escapes C0 controls but leaves C1 controls and bidi overrides as they are.
    ...Object.entries(task.extra).map(([key, value]): [string, string] => [terminalSafe(key), terminalSafe(typeof value === 'string' ? value : JSON.stringify(value))]),
  ];
  const width = Math.max(...fields.map(([key]) => key.length));
  for (const [key, value] of fields) if (value !== null && value !== '') console.log(`  ${paint(key.padEnd(width), 'dim')}  ${value}`);
  console.log();
  const description = terminalSafe(detail.description, { multiline: true });
  process.stdout.write(description.endsWith('\n') ? description : `${description}\n`);
}

export async function complete(ref: string): Promise<void> {
  await changeStatus(ref, (c, p) => c.request(Methods.completeTask, p));
}

export async function review(ref: string): Promise<void> {
  await changeStatus(ref, (c, p) => c.request(Methods.reviewTask, p));
}

export async function setStatus(ref: string, status: string): Promise<void> {
  await changeStatus(ref, (c, p) => c.request(Methods.setTaskStatus, { ...p, status }));
}

type StatusRequest = (client: DaemonClient, params: { cwd: string; ref: string }) => Promise<TaskDetail>;

async function changeStatus(ref: string, request: StatusRequest): Promise<void> {
  const task = await withDaemon((c) => request(c, { cwd: cwd(), ref }));
  console.log(`${paint(task.ref, 'bold')} is ${paint(task.status, STATUS_STYLE[task.status])}.`);
}

export async function remove(ref: string, options: { force?: boolean; deleteBranch?: boolean }): Promise<void> {
  const result = await withDaemon((c) => c.request(Methods.removeTask, { cwd: cwd(), ref, force: options.force ?? false, delete_branch: options.deleteBranch ?? false }));
  const { task } = result;
  const done = [
    result.stopped ? 'stopped its agent' : undefined,
    result.removed_worktree ? `removed its worktree ${result.removed_worktree}` : undefined,
    result.deleted_branch ? `deleted its branch ${result.deleted_branch}` : undefined,
    `deleted ${task.path}`,
  ].filter(Boolean);
  console.log(`Removed ${paint(task.ref, 'bold')}: ${done.join(', ')}.`);
  if (task.branch && !result.deleted_branch) console.log(`Its branch ${task.branch} stays; 'git branch -D ${task.branch}' deletes it.`);
}
