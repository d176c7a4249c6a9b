import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { appendPrivateFile, makePrivateDir, writePrivateFile } from '../platform/private-files.js';
import type { UserDirs } from './paths.js';
import { projectKey } from './worktree.js';

/** In a project's directory of task logs: the project's root, so the logs of a project that is gone can be told apart. */
const PROJECT_FILE = 'project';
/** In a project's directory of task logs: when the project was first found gone. */
const GONE_FILE = 'gone-since';

/** How long the logs of a project that is gone are kept: a project on a disk that is not mounted today is not gone. */
export const GONE_PROJECT_KEPT_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * A task's own directory in the state directory: its log (setup output, starts, stops,
 * exits, status changes — what `orchestra logs` shows) and the prompt file agents read.
 */
export class TaskLog {
  readonly dir: string;
  readonly path: string;

  constructor(
    dirs: UserDirs,
    private readonly root: string,
    task: { id: number; slug: string },
  ) {
    this.dir = join(dirs.state, 'tasks', projectKey(root), `${task.id}-${task.slug}`);
    this.path = join(this.dir, 'task.log');
  }

  /** One event, on its own line with a timestamp. */
  event(message: string): void {
    this.append(`[${new Date().toISOString()}] ${message}\n`);
  }

  /** Output of a program (the setup script), as it came. */
  raw(text: string): void {
    this.append(text);
  }

  /** Private to the user: the log holds the agent's screen, the prompt file the task. */
  private append(text: string): void {
    this.makeDir();
    appendPrivateFile(this.path, text);
  }

  writePrompt(text: string): string {
    const path = join(this.dir, 'prompt.md');
    this.makeDir();
    writePrivateFile(path, text);
    return path;
  }

  /** Keeps the agent's credentials where its MCP server can read them (0600), since command lines are public to `ps`. */
  writeToken(token: string): string {
    const path = join(this.dir, 'agent-token');
    this.makeDir();
    writePrivateFile(path, `${token}\n`);
    return path;
  }

  /** Deletes the task's directory — log, prompt, credentials — with the task (`orchestra rm`): nothing can show it any more. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Makes the task's directory private; one an older Orchestra left open is tightened, and the log says so once. */
  private makeDir(): void {
    const tightened = makePrivateDir(this.dir);
    const named = join(dirname(this.dir), PROJECT_FILE);
    if (!existsSync(named)) writePrivateFile(named, `${this.root}\n`);
    if (tightened) this.event(tightened);
  }
}

export interface PruneOptions {
  /** The projects the daemon has served: they name the directories an older Orchestra left without a project file. */
  knownRoots: string[];
  now?: number;
  /** Whether the project at `root` is gone; by default, when its .git is not there. */
  gone?: (root: string) => boolean;
}

/**
 * Deletes the task logs of projects that are gone (the daemon calls it at start-up and
 * daily): the first time a project is found gone, the moment is noted, and its logs go once
 * it has stayed gone for GONE_PROJECT_KEPT_MS. Logs of a project that exists, or that
 * cannot be told, are never touched. Returns the roots whose logs were deleted.
 */
export function pruneGoneProjects(dirs: UserDirs, options: PruneOptions): string[] {
  const now = options.now ?? Date.now();
  const gone = options.gone ?? repositoryGone;
  const known = new Map(options.knownRoots.map((root) => [projectKey(root), root]));
  const tasks = join(dirs.state, 'tasks');
  let keys: string[];
  try {
    keys = readdirSync(tasks, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
  const deleted: string[] = [];
  for (const key of keys) {
    const dir = join(tasks, key);
    const root = readText(join(dir, PROJECT_FILE))?.trim() || known.get(key);
    // Unknown, or a file that names another project than the directory's: kept.
    if (!root || projectKey(root) !== key) continue;
    const goneFile = join(dir, GONE_FILE);
    if (!gone(root)) {
      rmSync(goneFile, { force: true });
      continue;
    }
    const since = Date.parse(readText(goneFile)?.trim() ?? '');
    if (Number.isNaN(since)) writePrivateFile(goneFile, `${new Date(now).toISOString()}\n`);
    else if (now - since >= GONE_PROJECT_KEPT_MS) {
      rmSync(dir, { recursive: true, force: true });
      deleted.push(root);
    }
  }
  return deleted;
}

/** Gone only when the repository certainly is not there: a directory that cannot be read now (permissions, a disk) is not gone. */
function repositoryGone(root: string): boolean {
  try {
    statSync(join(root, '.git'));
    return false;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR';
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
