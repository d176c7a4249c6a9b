import { join } from 'node:path';
import { appendPrivateFile, makePrivateDir, writePrivateFile } from '../platform/private-files.js';
import type { UserDirs } from './paths.js';
import { projectKey } from './worktree.js';

/**
 * A task's own directory in the state directory: its log (setup output, starts, stops,
 * exits, status changes — what `orchestra logs` shows) and the prompt file agents read.
 */
export class TaskLog {
  readonly dir: string;
  readonly path: string;

  constructor(dirs: UserDirs, root: string, task: { id: number; slug: string }) {
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

  /** Makes the task's directory private; one an older Orchestra left open is tightened, and the log says so once. */
  private makeDir(): void {
    const tightened = makePrivateDir(this.dir);
    if (tightened) this.event(tightened);
  }
}
