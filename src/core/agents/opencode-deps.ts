import { constants, copyFileSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { mayAccess } from '../paths.js';

/**
 * With any plugin present (Orchestra's is one), OpenCode 1.x waits, before it starts, for an
 * npm install of `@opencode-ai/plugin` into each of its config directories that is writable
 * and lacks it: `node_modules/` plus a package-lock.json whose root lists it and every
 * dependency package.json names. Online that is one install per directory; without a
 * registry, npm's retries make it a stall of over a minute on every start.
 */

const PLUGIN_PACKAGE = '@opencode-ai/plugin';
/** What OpenCode writes besides node_modules once it has installed; its .gitignore keeps them out of `git status`. */
const INSTALLED_FILES = ['package.json', 'package-lock.json', '.gitignore'];

/** What readying a worktree for OpenCode did: lines for the task's log, and variables for its environment. */
export interface OpenCodePreparation {
  lines: string[];
  env: Record<string, string>;
}

/**
 * Readies OpenCode's start in a task's worktree so that it does not stall on plugin
 * dependencies: a repository's `.opencode/` is in every new worktree without them, so the
 * worktree shares those the main checkout's `.opencode/` has; and where some directory still
 * lacks them (a machine where OpenCode never ran, a project whose `.opencode/` never got
 * them), npm is told not to retry, so that without a registry OpenCode gives up at once.
 */
export function prepareOpenCode(root: string, worktree: string, env: Record<string, string | undefined>): OpenCodePreparation {
  const lines: string[] = [];
  const shared = shareDependencies(join(root, '.opencode'), join(worktree, '.opencode'));
  if (shared) lines.push(shared);
  const missing = installDirectories(env, worktree).filter((dir) => !hasDependencies(dir));
  if (missing.length === 0 || env.npm_config_fetch_retries !== undefined) return { lines, env: {} };
  lines.push(`OpenCode first installs its plugin dependencies into ${missing.join(', ')}; npm_config_fetch_retries=0 makes it give up at once when no registry answers, instead of after a minute`);
  return { lines, env: { npm_config_fetch_retries: '0' } };
}

/** The config directories OpenCode installs into (and, with a plugin, waits for). */
function installDirectories(env: Record<string, string | undefined>, worktree: string): string[] {
  const home = env.HOME ?? '';
  const config = join(env.XDG_CONFIG_HOME || join(home, '.config'), 'opencode');
  const optional = [join(worktree, '.opencode'), join(home, '.opencode'), env.OPENCODE_CONFIG_DIR].filter((dir): dir is string => !!dir && existsSync(dir));
  // OpenCode creates its config directory if needed; it skips directories it cannot write.
  return [config, ...optional].filter((dir) => !existsSync(dir) || mayAccess(dir, constants.W_OK));
}

/** Whether OpenCode would skip the install in `dir` (its own check). */
function hasDependencies(dir: string): boolean {
  if (!existsSync(join(dir, 'node_modules'))) return false;
  const names = (json: unknown) => Object.keys({ ...(json as Record<string, object> | undefined)?.dependencies, ...(json as Record<string, object> | undefined)?.devDependencies, ...(json as Record<string, object> | undefined)?.peerDependencies, ...(json as Record<string, object> | undefined)?.optionalDependencies });
  const wanted = [...names(readJson(join(dir, 'package.json'))), PLUGIN_PACKAGE];
  const locked = new Set(names((readJson(join(dir, 'package-lock.json')) as { packages?: Record<string, unknown> } | undefined)?.packages?.['']));
  return wanted.every((name) => locked.has(name));
}

/** The worktree's `.opencode/` shares the main checkout's installed dependencies: node_modules as a link, the files copied. */
function shareDependencies(source: string, target: string): string | null {
  if (!existsSync(target) || existsSync(join(target, 'node_modules')) || !hasDependencies(source)) return null;
  try {
    symlinkSync(join(source, 'node_modules'), join(target, 'node_modules'), 'dir');
    for (const file of INSTALLED_FILES) {
      if (existsSync(join(source, file)) && !existsSync(join(target, file))) copyFileSync(join(source, file), join(target, file));
    }
  } catch (error) {
    return `could not share OpenCode's plugin dependencies with the worktree (${(error as Error).message})`;
  }
  return `shared OpenCode's plugin dependencies of ${source} with the worktree's .opencode`;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
