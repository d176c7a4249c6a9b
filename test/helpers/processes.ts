import { execFileSync } from 'node:child_process';

/**
 * Reading the process table the same way on Linux and macOS: only `ps -A` and `-o` with
 * fields both procps and BSD ps know (not the -e flag, which on macOS means "show the environment",
 * nor /proc, which macOS has not).
 */

export interface ProcessRow {
  pid: number;
  pgid: number;
  /** The state letters, e.g. 'S', 'Ss+', 'Z'. */
  stat: string;
}

/** Every process of the system. */
export function processTable(): ProcessRow[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  const rows = out
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([pid, pgid, stat]) => ({ pid: Number(pid), pgid: Number(pgid), stat: stat ?? '' }));
  // A table that does not parse (or lacks this very process) must not read as "nothing left".
  if (!rows.some((row) => row.pid === process.pid && row.pgid > 0 && row.stat !== '')) {
    throw new Error(`ps -A did not list this process (${process.pid}) as expected:\n${out}`);
  }
  return rows;
}

/** The resident set size of `pid` in bytes (ps reports it in KiB on Linux and macOS alike). */
export function residentBytes(pid: number): number {
  const out = execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  if (!/^\d+$/.test(out)) throw new Error(`ps gave no resident size for ${pid}: '${out}'`);
  return Number(out) * 1024;
}

export interface CommandRow {
  pid: number;
  ppid: number;
  /** The command with its arguments, as ps shows it. */
  command: string;
}

/** Every process of the system with its parent and command line (fields both procps and BSD ps know). */
export function commandTable(): CommandRow[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,command='], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const rows = out
    .trim()
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map(([, pid, ppid, command]) => ({ pid: Number(pid), ppid: Number(ppid), command: command! }));
  if (!rows.some((row) => row.pid === process.pid && row.ppid > 0)) throw new Error(`ps -A did not list this process (${process.pid}) as expected:\n${out}`);
  return rows;
}
