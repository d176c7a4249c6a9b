import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAST_SCREEN_END, LAST_SCREEN_START } from '../../protocol/holder.js';
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

  /** Private to the user: the log holds the agent's screen and command line, the prompt file the task. */
  private append(text: string): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    appendFileSync(this.path, text, { mode: 0o600 });
  }

  writePrompt(text: string): string {
    const path = join(this.dir, 'prompt.md');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }
}

/** How much of the end of a log is searched for the last screen: a screen of 500×1000 cells fits. */
const LAST_SCREEN_BYTES = 512 * 1024;

/**
 * The screen the task's agent showed when it last ended, from the task's log (its holder
 * writes it there), as text lines; undefined when the log has none.
 */
export function lastScreen(logPath: string): string[] | undefined {
  let text: string;
  try {
    const fd = openSync(logPath, 'r');
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, LAST_SCREEN_BYTES);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const start = text.lastIndexOf(`${LAST_SCREEN_START}\n`);
  if (start === -1) return undefined;
  const end = text.indexOf(`\n${LAST_SCREEN_END}`, start);
  if (end === -1) return undefined;
  return text.slice(start + LAST_SCREEN_START.length + 1, end).split('\n');
}
