import { mkdirSync, readFileSync, realpathSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** Claude Code's own lock on its config file is a directory next to it (proper-lockfile); it counts as stale after 10 s. */
const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 2000;

type ClaudeConfig = { projects?: Record<string, Record<string, unknown> | undefined> };

/**
 * Claude Code asks whether to trust every folder it has not been told to trust, and keeps
 * the answers in `.claude.json` (`projects.<real path>.hasTrustDialogAccepted`, which counts
 * for the folders below it too) in its config directory: $CLAUDE_CONFIG_DIR, else HOME.
 * Whether a task's worktree inherits the trust of the main checkout depends on the version
 * (2.1.197 looks up the main repository; later ones do not), so when the user trusted the
 * main checkout, the worktree is marked trusted too, as they would have answered. Written
 * the way Claude Code writes it: under its lock, re-read, renamed into place. Returns a line
 * for the task's log, or null when there was nothing to do.
 */
export async function carryClaudeTrust(env: Record<string, string | undefined>, root: string, worktree: string): Promise<string | null> {
  const dir = env.CLAUDE_CONFIG_DIR ?? env.HOME;
  if (!dir) return null;
  const file = join(dir, '.claude.json');
  const read = (): ClaudeConfig | null => {
    try {
      const config: unknown = JSON.parse(readFileSync(file, 'utf8'));
      return config && typeof config === 'object' ? (config as ClaudeConfig) : null;
    } catch {
      return null; // No Claude Code configuration: it asks, and the task shows it waits.
    }
  };
  const target = realPath(worktree);
  const first = read();
  if (!first || !isTrusted(first, realPath(root)) || isTrusted(first, target)) return null;
  if (!(await lock(file))) return `could not mark the worktree trusted: ${file}.lock stays taken; Claude Code will ask`;
  try {
    const config = read();
    if (!config) return null;
    config.projects = { ...config.projects, [target]: { ...config.projects?.[target], hasTrustDialogAccepted: true } };
    const temporary = `${file}.tmp.orchestra-${process.pid}`;
    writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: statSync(file).mode & 0o777 });
    renameSync(temporary, file);
  } catch (error) {
    return `could not mark the worktree trusted in ${file} (${(error as Error).message}); Claude Code will ask`;
  } finally {
    unlock(file);
  }
  return `marked the worktree trusted for Claude Code in ${file}, as ${root} is (agents.claude.trust_worktree: false turns this off)`;
}

/** Whether `path` or a folder above it is trusted, as Claude Code checks it. */
function isTrusted(config: ClaudeConfig, path: string): boolean {
  for (let dir = path; ; dir = dirname(dir)) {
    if (config.projects?.[dir]?.hasTrustDialogAccepted === true) return true;
    if (dirname(dir) === dir) return false;
  }
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

async function lock(file: string): Promise<boolean> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(`${file}.lock`);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    }
    try {
      // A lock its holder left behind when it died.
      if (Date.now() - statSync(`${file}.lock`).mtimeMs > LOCK_STALE_MS) rmdirSync(`${file}.lock`);
    } catch {
      // Released meanwhile.
    }
    if (Date.now() > deadline) return false;
    await delay(20);
  }
}

function unlock(file: string): void {
  try {
    rmdirSync(`${file}.lock`);
  } catch {
    // Gone already.
  }
}
