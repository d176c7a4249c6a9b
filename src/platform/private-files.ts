import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * What Orchestra keeps for the user (DESIGN.md §2: logs with agents' screens, prompts,
 * project paths, holders' environments) is theirs alone: directories 0700, files 0600.
 * Earlier versions made some of them with the umask's modes (0755, 0644); those are
 * tightened when next used, if they are the user's own.
 */

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Makes `dir` 0700 (missing parents too), or tightens the one there when others may enter
 * it. Returns a sentence for the log when it tightened one, so that the change is said once.
 */
export function makePrivateDir(dir: string): string | undefined {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  const stats = lstatSync(dir);
  // A symlink is the user's own arrangement (the state on another disk): left as it is.
  if (!stats.isDirectory() || !needsTightening(stats, DIR_MODE)) return undefined;
  const old = (stats.mode & 0o777).toString(8);
  chmodSync(dir, DIR_MODE);
  return `made ${dir} private (mode 700; it was ${old}, as an older Orchestra made it)`;
}

/**
 * Opens `path` with `flags` ('a', 'w', 'wx' …), creating it 0600; one there already that
 * others may read is tightened first. The caller closes the descriptor.
 */
export function openPrivateFile(path: string, flags: string): number {
  const fd = openSync(path, flags, FILE_MODE);
  try {
    const stats = fstatSync(fd);
    // Only a regular file: a log pointed at /dev/null must not change /dev/null for everyone.
    if (stats.isFile() && needsTightening(stats, FILE_MODE)) fchmodSync(fd, FILE_MODE);
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Appends `text` to the private file `path`. */
export function appendPrivateFile(path: string, text: string): void {
  const fd = openPrivateFile(path, 'a');
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** Writes the private file `path` whole or not at all (a temporary file, then a rename): readers never see half. */
export function writePrivateFile(path: string, text: string): void {
  writeFileWhole(path, text, FILE_MODE);
}

/**
 * The one atomic write: `text` goes to a temporary file beside `path`, which is then renamed
 * over it, so readers see the old text or the new, never half. `mode` is a new file's before
 * the umask: Orchestra's own files are private; a repository's task files take 0o666 and the
 * umask, as any file the person makes.
 */
export function writeFileWhole(path: string, text: string, mode: number): void {
  const temporary = temporaryPath(path);
  try {
    const fd = openSync(temporary, 'wx', mode);
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** A fresh name beside `path`; its leading dot keeps the half-written file out of listings. */
export function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Others may use it, and it is this user's: another user's directory or file is theirs to decide. */
function needsTightening(stats: Stats, mode: number): boolean {
  const uid = process.getuid?.();
  return uid !== undefined && stats.uid === uid && (stats.mode & 0o777 & ~mode) !== 0;
}
