import { closeSync, constants, existsSync, fstatSync, lstatSync, promises as fs, openSync, readdirSync, readFileSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { TASK_STATUSES, type TaskStatus } from '../../protocol/daemon.js';
import { canonicalPath } from '../platform/canonical-path.js';
import { temporaryPath, writeFileWhole } from '../platform/private-files.js';
import { branchNameProblem } from './branch-name.js';
import { OrchestraError, UsageError } from './errors.js';
import { closestMatches } from './fuzzy.js';
import { parseTaskFile, renderTaskFile, TaskFileError, updateFrontMatter, type FrontValue } from './task-file.js';

/**
 * The task files of one project: `.orchestra/tasks/<id>:<slug>.md` (DESIGN.md §2).
 * Reads are cached by file identity (inode, size, mtime) so `status` stays cheap with
 * many tasks; writes are atomic (temporary file, then link or rename) and serialized, so
 * two creators never get one id and two updates never lose each other's change.
 */

export interface TaskRecord {
  id: number;
  slug: string;
  path: string;
  status: TaskStatus;
  base_branch: string | null;
  agent: string | null;
  branch: string | null;
  worktree: string | null;
  created: string | null;
  updated: string | null;
  exit_code: number | null;
  merged_commit: string | null;
  /** What the agent waits for a person to answer (a question, a permission), while it does. */
  waiting: string | null;
  /** Front-matter keys Orchestra does not know, kept as they are. */
  extra: Record<string, unknown>;
  description: string;
}

/** The front-matter keys Orchestra writes; values of `undefined` remove the key. */
export type TaskChanges = Partial<Record<Exclude<keyof TaskRecord, 'id' | 'slug' | 'path' | 'extra' | 'description'>, FrontValue | undefined>>;

const REMOVED_FILE = '.removed';
/** How often, and how far apart, a write looks again at a file someone is saving. */
const WRITE_ATTEMPTS = 10;
const WRITE_RETRY_MS = 20;
const FILE_NAME = /^(\d+):([a-z0-9][a-z0-9-]*)\.md$/;
const STRING_KEYS = ['base_branch', 'agent', 'branch', 'worktree', 'created', 'updated', 'merged_commit', 'waiting'] as const;
const KNOWN_KEYS = new Set<string>(['status', 'exit_code', ...STRING_KEYS]);

/** A task file that cannot be read, and why. */
export interface UnreadableFile {
  path: string;
  reason: string;
}

type CacheEntry = { stamp: string; result: TaskRecord | UnreadableFile };

export class TaskStore {
  readonly dir: string;
  private readonly cache = new Map<string, CacheEntry>();
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    readonly projectRoot: string,
    /** Called after every write (for the daemon's change events). */
    private readonly changed: () => void = () => {},
  ) {
    this.dir = join(projectRoot, '.orchestra', 'tasks');
  }

  /**
   * Every task, sorted by id, and every file that could not be read. A bad file never hides
   * the others. Synchronous file calls on purpose: a hundred cached stats take a
   * millisecond this way and several through the thread pool.
   */
  async list(): Promise<{ tasks: TaskRecord[]; problems: UnreadableFile[] }> {
    let names: string[];
    try {
      this.assertInsideProject();
      names = readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { tasks: [], problems: [] };
      throw error;
    }
    const tasks: TaskRecord[] = [];
    const problems: UnreadableFile[] = [];
    const seen = new Set<string>();
    for (const name of names) {
      if (!name.endsWith('.md') || name.startsWith('.')) continue;
      const result = this.read(join(this.dir, name));
      if (result === undefined) continue;
      seen.add(result.path);
      if ('reason' in result) problems.push(result);
      else tasks.push(result);
    }
    for (const path of this.cache.keys()) if (!seen.has(path)) this.cache.delete(path);
    tasks.sort((a, b) => a.id - b.id || a.slug.localeCompare(b.slug));
    problems.sort((a, b) => a.path.localeCompare(b.path));
    return { tasks, problems };
  }

  /**
   * A tasks directory that leads out of the repository (a link in a cloned repository, say)
   * would have Orchestra read and write files anywhere: refused.
   */
  private assertInsideProject(dir = this.dir): void {
    const real = canonicalPath(dir);
    if (!real.startsWith(`${canonicalPath(this.projectRoot)}/`)) {
      throw new OrchestraError(`The tasks directory ${dir} leads to ${real}, outside the repository; Orchestra reads and writes task files only inside it. Replace the link with a directory.`);
    }
  }

  /** The task `ref` names: `42`, `fix-tests` or `42:fix-tests`. Unknown and ambiguous references say what exists. */
  async resolve(ref: string): Promise<TaskRecord> {
    const { tasks, problems } = await this.list();
    const trimmed = ref.trim();
    const byRef = /^(\d+)(?::(.+))?$/.exec(trimmed);
    let matches: TaskRecord[];
    if (byRef) {
      const id = Number(byRef[1]);
      matches = tasks.filter((t) => t.id === id && (byRef[2] === undefined || t.slug === byRef[2]));
      if (matches.length === 0 && byRef[2] !== undefined) {
        const sameId = tasks.filter((t) => t.id === id).map(refOf);
        if (sameId.length > 0) throw new OrchestraError(`There is no task ${trimmed}; task ${id} is ${sameId.join(' and ')}.`);
      }
    } else {
      matches = tasks.filter((t) => t.slug === trimmed);
    }
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw new UsageError(`'${trimmed}' is ambiguous: it names ${matches.map(refOf).join(', ')}; use the full id:slug.`);
    }
    const broken = problems.find((p) => nameMatchesRef(basename(p.path), trimmed));
    if (broken) throw new OrchestraError(`Task ${trimmed} cannot be read: ${broken.path}: ${broken.reason}.`);
    throw new OrchestraError(unknownTaskMessage(trimmed, tasks, this.projectRoot));
  }

  /** The file `ref` names, also when it cannot be read (so that a person can repair it). */
  async resolvePath(ref: string): Promise<string> {
    try {
      return (await this.resolve(ref)).path;
    } catch (error) {
      const { problems } = await this.list();
      const broken = problems.find((p) => nameMatchesRef(basename(p.path), ref.trim()));
      if (broken) return broken.path;
      throw error;
    }
  }

  /** Creates a task with the next free id. The id is claimed by linking a complete file into place, never by overwriting. */
  create(slug: string, front: Record<string, FrontValue>, description: string): Promise<TaskRecord> {
    return this.serialize(async () => {
      // Checked before and after: a link anywhere on the way must not make folders elsewhere.
      for (const dir of [dirname(this.dir), this.dir]) {
        if (existsSync(dir)) this.assertInsideProject(dir);
        else await fs.mkdir(dir);
      }
      this.assertInsideProject(this.dir);
      const names = readdirSync(this.dir);
      // Unreadable files count too: once repaired, they would share the slug.
      const existing = names.find((name) => new RegExp(`^\\d+:${slug}\\.md$`).test(name));
      if (existing) throw new OrchestraError(`A task named '${slug}' exists already (${existing.slice(0, -3)}); pick another slug or use that task.`);
      let id = 1 + Math.max(this.highestRemovedId(), ...names.map((n) => Number(/^(\d+):/.exec(n)?.[1] ?? 0)));
      const text = renderTaskFile(front, description);
      for (;;) {
        const path = join(this.dir, `${id}:${slug}.md`);
        if (await this.writeExclusive(path, text)) return this.readFresh(path);
        id += 1; // Someone else (a person, another tool) took this id between our scan and our link.
      }
    });
  }

  /** Applies `changes` to the task's front matter, re-reading the file so that no concurrent edit is lost. */
  update(task: TaskRecord, changes: TaskChanges): Promise<TaskRecord> {
    return this.updateWith(task, () => changes).then((result) => result.task);
  }

  /**
   * Applies the changes `decide` makes of the task as it is at the moment of writing (no
   * write in between), or nothing when it returns null. Says whether anything was written,
   * and the task before and after.
   */
  updateWith(task: TaskRecord, decide: (current: TaskRecord) => TaskChanges | null): Promise<{ before: TaskRecord; task: TaskRecord; written: boolean }> {
    return this.serialize(async () => {
      for (let attempt = 1; ; attempt++) {
        // A person saving the file in place empties it, then writes it: what is read in
        // between is no version of the task, and writing over it would lose their edit.
        const stamp = fileStamp(task.path);
        const text = await readTaskText(task);
        const settled = text.trim() !== '' && fileStamp(task.path) === stamp;
        if (!settled) {
          if (attempt < WRITE_ATTEMPTS) {
            await delay(WRITE_RETRY_MS);
            continue;
          }
          throw new OrchestraError(`${task.path} ${text.trim() === '' ? 'is empty' : 'keeps changing'}, as while someone saves it; Orchestra did not write it, so nothing of theirs is lost. Try again once it is saved.`);
        }
        const before = this.readFresh(task.path);
        const changes = decide(before);
        if (changes === null) return { before, task: before, written: false };
        const updated = updateFrontMatter(text, { ...changes, updated: new Date().toISOString() });
        // Changed since it was read: read it again rather than write over the change.
        if (fileStamp(task.path) !== stamp) {
          if (attempt < WRITE_ATTEMPTS) continue;
          throw new OrchestraError(`${task.path} keeps changing, as while someone saves it; Orchestra did not write it, so nothing of theirs is lost. Try again once it is saved.`);
        }
        writeAtomic(task.path, updated);
        return { before, task: this.readFresh(task.path), written: true };
      }
    });
  }

  /**
   * Deletes the task's file. Its id is never given out again (its branch, log and worktree
   * name carry it), so the highest removed id is kept in `.orchestra/tasks/.removed`.
   */
  remove(task: TaskRecord): Promise<void> {
    return this.serialize(async () => {
      if (task.id > this.highestRemovedId()) writeAtomic(join(this.dir, REMOVED_FILE), `${task.id}\n`);
      await fs.rm(task.path, { force: true });
      this.cache.delete(task.path);
    });
  }

  private highestRemovedId(): number {
    try {
      return Number.parseInt(readRegularFile(join(this.dir, REMOVED_FILE)).slice(0, 32), 10) || 0;
    } catch {
      return 0;
    }
  }

  private serialize<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.writes.then(operation, operation).finally(this.changed);
    this.writes = result.catch(() => undefined);
    return result;
  }

  private async writeExclusive(path: string, text: string): Promise<boolean> {
    const temporary = temporaryPath(path);
    await fs.writeFile(temporary, text, { flag: 'wx' });
    try {
      await fs.link(temporary, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await fs.rm(temporary, { force: true });
    }
  }

  private readFresh(path: string): TaskRecord {
    this.cache.delete(path);
    const result = this.read(path);
    if (result === undefined) throw new OrchestraError(`${path} disappeared while Orchestra was writing it.`);
    if ('reason' in result) throw new OrchestraError(`${path}: ${result.reason}.`);
    return result;
  }

  private read(path: string): TaskRecord | UnreadableFile | undefined {
    let stats;
    try {
      stats = lstatSync(path);
    } catch {
      return undefined; // Removed since the directory was listed.
    }
    const notRegular = notRegularFile(stats);
    if (notRegular) return { path, reason: notRegular };
    const stamp = `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
    const cached = this.cache.get(path);
    if (cached?.stamp === stamp) return cached.result;
    let result: TaskRecord | UnreadableFile;
    try {
      result = parseRecord(path, readRegularFile(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      result = { path, reason: (error as Error).message };
    }
    this.cache.set(path, { stamp, result });
    return result;
  }
}

/**
 * Why a path in the tasks directory is no task file Orchestra may read or write: a link
 * would have it read (and copy into the repository) whatever the link points to, a FIFO
 * or a device would block or feed it without end.
 */
function notRegularFile(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  const what = stats.isSymbolicLink() ? 'a symbolic link' : stats.isDirectory() ? 'a directory' : stats.isFIFO() ? 'a FIFO' : stats.isSocket() ? 'a socket' : 'a device';
  return `is ${what}, not a regular file; Orchestra reads and writes only regular files in .orchestra/tasks (replace it with a copy of what it should say)`;
}

/** The text of a regular file, never through a link and never blocking on a FIFO swapped in since it was looked at. */
function readRegularFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const notRegular = notRegularFile(fstatSync(fd));
    if (notRegular) throw new TaskFileError(notRegular);
    return readFileSync(fd, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new TaskFileError(notRegularFile(lstatSync(path))!);
    throw error;
  } finally {
    closeSync(fd);
  }
}

/** The first line of text in a task's description, without markdown heading marks. */
export function titleOf(description: string): string {
  const line = description.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.replace(/^#+\s*/, '').trim();
}

export function refOf(task: { id: number; slug: string }): string {
  return `${task.id}:${task.slug}`;
}

function parseRecord(path: string, text: string): TaskRecord {
  const name = FILE_NAME.exec(basename(path));
  if (!name) throw new TaskFileError('the file name is not <id>:<slug>.md (for example 3:fix-tests.md)');
  const { data, body } = parseTaskFile(text);
  const status = data.status ?? 'draft';
  if (typeof status !== 'string' || !(TASK_STATUSES as readonly string[]).includes(status)) {
    throw new TaskFileError(`status '${String(status)}' is not one of ${TASK_STATUSES.join(', ')}`);
  }
  const strings = Object.fromEntries(STRING_KEYS.map((key) => [key, textValue(data, key)])) as Record<(typeof STRING_KEYS)[number], string | null>;
  // These reach git: a value git could read as an option, or any other non-branch, is this file's problem.
  for (const key of ['base_branch', 'branch'] as const) {
    const value = strings[key];
    const problem = value === null ? undefined : branchNameProblem(value);
    if (problem) throw new TaskFileError(`${key} ${JSON.stringify(value)} is not a branch name (${problem})`);
  }
  const exitCode = data.exit_code ?? null;
  if (exitCode !== null && !Number.isInteger(exitCode)) throw new TaskFileError(`exit_code '${String(exitCode)}' is not a whole number`);
  const extra = Object.fromEntries(Object.entries(data).filter(([key]) => !KNOWN_KEYS.has(key)));
  return {
    id: Number(name[1]),
    slug: name[2]!,
    path,
    status: status as TaskStatus,
    ...strings,
    exit_code: exitCode as number | null,
    extra,
    // The blank line after the front matter separates, it does not describe.
    description: body.replace(/^(\r?\n)+/, ''),
  };
}

function textValue(data: Record<string, unknown>, key: string): string | null {
  const value = data[key];
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TaskFileError(`${key} must be a single value, not a list or a mapping`);
}

async function readTaskText(task: TaskRecord): Promise<string> {
  try {
    return readRegularFile(task.path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new OrchestraError(`Task ${refOf(task)} was removed (${task.path} is gone).`);
    throw error;
  }
}

/** What changes when anyone writes the file: its identity, size and time (to the nanosecond where the file system keeps it). */
function fileStamp(path: string): string {
  try {
    const stats = lstatSync(path, { bigint: true });
    return `${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
  } catch {
    return 'gone';
  }
}

/** A task file written whole (the one atomic write); it keeps the umask's mode, as the person's files do. */
function writeAtomic(path: string, text: string): void {
  writeFileWhole(path, text, 0o666);
}

function nameMatchesRef(fileName: string, ref: string): boolean {
  const match = /^(\d+):(.*)\.md$/.exec(fileName);
  if (!match) return false;
  return ref === match[1] || ref === match[2] || ref === `${match[1]}:${match[2]}`;
}

function unknownTaskMessage(ref: string, tasks: TaskRecord[], projectRoot: string): string {
  if (tasks.length === 0) return `There is no task '${ref}': the project ${projectRoot} has no tasks yet; create one with 'orchestra new <slug>'.`;
  // An id is not a misspelt slug: say which ids exist instead of guessing.
  if (/^\d+(:.*)?$/.test(ref)) {
    const ids = tasks.length === 1 ? `the only task is ${refOf(tasks[0]!)}` : `the ids run from ${tasks[0]!.id} to ${tasks[tasks.length - 1]!.id}`;
    return `There is no task ${ref}; ${ids} ('orchestra status' lists them).`;
  }
  const candidates = closestMatches(ref, tasks.map(refOf), (r) => r.slice(r.indexOf(':') + 1));
  if (candidates.length > 0) return `There is no task '${ref}'; did you mean ${candidates.join(' or ')}?`;
  return `There is no task '${ref}' in ${projectRoot}; 'orchestra status' lists the tasks.`;
}
