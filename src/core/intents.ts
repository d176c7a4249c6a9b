import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivateDir, writePrivateFile } from '../platform/private-files.js';

/**
 * What a multi-step operation is about to do, written before its first step and removed
 * after its last (DESIGN.md §7): a daemon killed in between finds it when it starts again
 * and finishes or undoes the operation (Orchestra.heal), so no crash window strands a task.
 */
export type Intent = StartIntent | MergeIntent | RemoveIntent;

interface TaskIntent {
  project: string;
  id: number;
  /** When the operation began (ISO), for the log. */
  at: string;
}

export interface StartIntent extends TaskIntent {
  op: 'start';
  branch: string;
  worktree: string;
  /** What this start made, once made: only that is undone when the agent never ran. */
  made?: { created: boolean; createdBranch: boolean };
}

export interface MergeIntent extends TaskIntent {
  op: 'merge';
  base: string;
  /** The commit the base branch moves to: the merge is done once base contains it. */
  commit: string;
  cleanup: boolean;
}

export interface RemoveIntent extends TaskIntent {
  op: 'rm';
  delete_branch: boolean;
  force: boolean;
}

/** Distributes Omit over the union, so that each operation keeps its own fields. */
export type NewIntent = Intent extends infer I ? (I extends Intent ? Omit<I, 'at'> : never) : never;

/** The intents of operations under way, one private file each in `<state>/intents/`. */
export class Intents {
  private readonly dir: string;

  constructor(state: string) {
    this.dir = join(state, 'intents');
  }

  /** Records what the operation on task `key` is about to do; resolves to a handle that updates or clears it. */
  record<I extends NewIntent>(key: string, intent: I): IntentHandle<Extract<Intent, { op: I['op'] }>> {
    makePrivateDir(this.dir);
    // One file per task and operation: a merge --force while a start is under way keeps both.
    const path = join(this.dir, `${key}.${intent.op}.json`);
    let current = { ...intent, at: new Date().toISOString() };
    writePrivateFile(path, JSON.stringify(current));
    return {
      update: (changes) => {
        current = { ...current, ...changes };
        writePrivateFile(path, JSON.stringify(current));
      },
      done: () => rmSync(path, { force: true }),
    };
  }

  /** The intents a daemon that ended in the middle left, each with a way to clear it; unreadable ones are dropped. */
  pending(): Array<{ intent: Intent; done: () => void }> {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((name) => name.endsWith('.json'));
    } catch {
      return [];
    }
    const found: Array<{ intent: Intent; done: () => void }> = [];
    for (const name of names) {
      const path = join(this.dir, name);
      const done = () => rmSync(path, { force: true });
      try {
        const intent = JSON.parse(readFileSync(path, 'utf8')) as Intent;
        if (isIntent(intent)) found.push({ intent, done });
        else done();
      } catch {
        done(); // Not Orchestra's (writes are whole): nothing to finish.
      }
    }
    return found;
  }
}

export interface IntentHandle<I> {
  update(changes: Partial<I>): void;
  done(): void;
}

function isIntent(value: unknown): value is Intent {
  if (typeof value !== 'object' || value === null) return false;
  const intent = value as Partial<Intent>;
  return typeof intent.project === 'string' && Number.isInteger(intent.id) && (intent.op === 'start' || intent.op === 'merge' || intent.op === 'rm');
}
