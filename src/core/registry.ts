import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivateDir, writePrivateFile } from '../platform/private-files.js';

/**
 * The projects the daemon has served, so that `status --all` can list every one of them.
 * Kept in the state directory as a JSON array of project roots, private to the user: where
 * their projects are is nobody else's business.
 */
export class ProjectRegistry {
  private readonly file: string;
  private readonly roots: Set<string>;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly stateDir: string) {
    this.file = join(stateDir, 'projects.json');
    this.roots = new Set(readRoots(this.file));
  }

  list(): string[] {
    return [...this.roots].sort();
  }

  has(root: string): boolean {
    return this.roots.has(root);
  }

  /** Remembers `root`; only the first sighting of a project writes the file. */
  add(root: string): Promise<void> {
    if (this.roots.has(root)) return this.saving;
    this.roots.add(root);
    const text = `${JSON.stringify(this.list(), null, 2)}\n`;
    this.saving = this.saving.then(() => {
      makePrivateDir(this.stateDir);
      writePrivateFile(this.file, text);
    });
    return this.saving;
  }
}

function readRoots(file: string): string[] {
  try {
    const data: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(data) ? data.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return []; // Missing or unreadable: the registry starts again from the projects in use.
  }
}
