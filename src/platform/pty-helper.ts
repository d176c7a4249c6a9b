import { chmodSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * node-pty starts every agent on macOS through a small `spawn-helper` program, and its
 * published macOS prebuilds carry it without the execute bit (node-pty #850): every PTY
 * spawn then fails with "posix_spawnp failed", and each reinstall brings it back. Orchestra
 * sets the bit itself before it starts a holder. Linux spawns without a helper.
 */
export interface PtyHelperContext {
  platform: NodeJS.Platform;
  arch: string;
  /** node-pty's package directory. */
  ptyDir: string;
  mode(path: string): number | undefined;
  chmod(path: string, mode: number): void;
}

export function ptyHelperContext(): PtyHelperContext {
  return {
    platform: process.platform,
    arch: process.arch,
    ptyDir: dirname(createRequire(import.meta.url).resolve('node-pty/package.json')),
    mode: (path) => {
      try {
        return statSync(path).mode;
      } catch {
        return undefined;
      }
    },
    chmod: chmodSync,
  };
}

export class PtyHelperError extends Error {}

/**
 * Makes node-pty's spawn helpers executable where they exist and are not (macOS only);
 * returns the paths it changed. Throws one sentence when it may not change them (a
 * system-wide install by another user).
 */
export function ensurePtyHelperExecutable(context: PtyHelperContext = ptyHelperContext()): string[] {
  if (context.platform !== 'darwin') return [];
  const changed: string[] = [];
  // node-pty loads build/Release first (a build from source), else the prebuild.
  for (const dir of ['build/Release', `prebuilds/darwin-${context.arch}`]) {
    const helper = join(context.ptyDir, dir, 'spawn-helper');
    const mode = context.mode(helper);
    if (mode === undefined || (mode & 0o111) === 0o111) continue;
    try {
      context.chmod(helper, (mode & 0o777) | 0o755);
    } catch (error) {
      throw new PtyHelperError(
        `node-pty's ${helper} is not executable, so no agent can start, and Orchestra may not fix it (${(error as Error).message}); run 'chmod +x ${helper}' as its owner.`,
      );
    }
    changed.push(helper);
  }
  return changed;
}
