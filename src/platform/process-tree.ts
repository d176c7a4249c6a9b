import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { LINUX_BOOT_ID, linuxStart, procStatFields, PS_ENV, psStart, type ProcessIdentity } from './process-identity.js';

/**
 * Everything a process started, ended with it. A process's children reparent when it dies,
 * so its tree is read before anything is signalled, and every process found is remembered
 * by identity (pid and start time, DESIGN.md §7.14): a later read still knows it after its
 * parent is gone, and a pid taken over by a stranger is never signalled.
 */

/** One process of the system's table. */
export interface ProcessRow {
  pid: number;
  ppid: number;
  pgid: number;
  /** As processStartTime gives it, so that the two compare. */
  start: string;
  /** Dead and waiting for its parent to collect it: nothing to signal or to wait for. */
  zombie: boolean;
}

/** How the table is read; injected by the tests of each platform's branch. */
export interface ProcessTableProbe {
  readFile(path: string): string;
  readDir(path: string): string[];
  /** `ps -A -o pid=,ppid=,pgid=,stat=,lstart=` in the C locale and UTC. */
  ps(): Promise<string>;
}

/** Far more than any table; beyond it, the table counts as unreadable. */
const PS_OUTPUT_LIMIT = 16 * 1024 * 1024;

const realProbe: ProcessTableProbe = {
  readFile: (path) => readFileSync(path, 'utf8'),
  readDir: (path) => readdirSync(path),
  ps: () =>
    new Promise((resolve, reject) =>
      execFile('ps', ['-A', '-o', 'pid=,ppid=,pgid=,stat=,lstart='], { encoding: 'utf8', env: PS_ENV, maxBuffer: PS_OUTPUT_LIMIT }, (error, out) => (error ? reject(error) : resolve(out))),
    ),
};

const PS_ROW = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S.*)$/;

/**
 * Every process of the system, or undefined when the table cannot be read.
 * - Linux: `/proc/<pid>/stat` (no ps needed, which slim containers lack), with start times
 *   in processStartTime's form (the boot's id and ticks since boot).
 * - macOS and the other BSDs: `ps -A` (no /proc there); lstart is the start to the second,
 *   as processStartTime reads it.
 */
export async function processTable(platform: NodeJS.Platform = process.platform, probe: ProcessTableProbe = realProbe): Promise<ProcessRow[] | undefined> {
  if (platform === 'linux') {
    let boot: string;
    let names: string[];
    try {
      boot = probe.readFile(LINUX_BOOT_ID);
      names = probe.readDir('/proc');
    } catch {
      return undefined;
    }
    const rows: ProcessRow[] = [];
    for (const name of names) {
      if (!/^\d+$/.test(name)) continue;
      let fields: string[] | undefined;
      try {
        fields = procStatFields(probe.readFile(`/proc/${name}/stat`));
      } catch {
        continue; // Ended since the directory was read.
      }
      if (!fields) continue;
      const [state, ppid, pgid] = fields;
      rows.push({ pid: Number(name), ppid: Number(ppid), pgid: Number(pgid), start: linuxStart(boot, fields), zombie: state === 'Z' || state === 'X' });
    }
    return rows;
  }
  let out: string;
  try {
    out = await probe.ps();
  } catch {
    return undefined;
  }
  const rows: ProcessRow[] = [];
  for (const line of out.split('\n')) {
    const match = PS_ROW.exec(line);
    if (!match) continue; // A header, a blank line: nothing a process is made of.
    const [, pid, ppid, pgid, stat, lstart] = match;
    rows.push({ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), start: psStart(lstart!), zombie: stat!.startsWith('Z') });
  }
  return rows;
}

/** What of a table belongs to the trees being ended. */
export interface TreeMembers {
  /** Every member, zombies included. */
  members: ProcessRow[];
  /** The process groups that are theirs (below) and have members. */
  groups: number[];
}

/**
 * The processes of `table` that belong to the trees being ended: those of `ours` (pid →
 * start) that are still the same process, their descendants, and every member of a process
 * group whose leader is one of ours (still the same process, or gone: a group's id is given
 * to nobody while the group has members), so that a child that reparented when its parent
 * died is still found by its group. `ours` grows with every member found, for the next
 * table. The calling process and its own group are never part of it.
 */
export function treeMembers(table: ProcessRow[], ours: Map<number, string>, self: number = process.pid): TreeMembers {
  const byPid = new Map(table.map((row) => [row.pid, row]));
  const selfGroup = byPid.get(self)?.pgid;
  const children = new Map<number, ProcessRow[]>();
  const groups = new Map<number, ProcessRow[]>();
  for (const row of table) {
    if (!children.has(row.ppid)) children.set(row.ppid, []);
    if (!groups.has(row.pgid)) groups.set(row.pgid, []);
    children.get(row.ppid)!.push(row);
    groups.get(row.pgid)!.push(row);
  }
  const ownsGroup = (pgid: number): boolean => {
    if (pgid <= 1 || pgid === selfGroup || !ours.has(pgid)) return false;
    const leader = byPid.get(pgid);
    return leader === undefined || leader.start === ours.get(pgid);
  };
  const members = new Map<number, ProcessRow>();
  const queue: ProcessRow[] = [];
  const add = (row: ProcessRow): void => {
    if (row.pid <= 1 || row.pid === self || row.pgid === selfGroup || members.has(row.pid)) return;
    members.set(row.pid, row);
    ours.set(row.pid, row.start);
    queue.push(row);
  };
  for (const row of table) if (ours.get(row.pid) === row.start) add(row);
  for (const [pgid, rows] of groups) if (ownsGroup(pgid)) rows.forEach(add);
  for (let next = 0; next < queue.length; next++) {
    const row = queue[next]!;
    children.get(row.pid)?.forEach(add);
    if (ownsGroup(row.pgid)) groups.get(row.pgid)?.forEach(add);
  }
  const found = [...members.values()];
  return { members: found, groups: [...new Set(found.map((row) => row.pgid))].filter(ownsGroup) };
}

/** What ending a tree reads and does; injected by the tests of its timing. */
export interface TreeEndIo {
  table(): Promise<ProcessRow[] | undefined>;
  /** Sends `signal` to a process (pid > 0) or a process group (pid < 0); one that is gone is no error. */
  signal(pid: number, signal: NodeJS.Signals): void;
  sleep(ms: number): Promise<void>;
  now(): number;
  self: number;
}

const realIo: TreeEndIo = {
  table: () => processTable(),
  signal: (pid, signal) => {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  },
  sleep: (ms) => delay(ms),
  now: () => Date.now(),
  self: process.pid,
};

/** How long the last signal (SIGKILL) is given to take effect before the end is reported as incomplete. */
const LAST_STEP_MS = 2000;
/** How soon the table is read again while waiting for processes to end; doubled up to POLL_MAX_MS. */
const POLL_FIRST_MS = 10;
const POLL_MAX_MS = 250;

/**
 * Ends `roots` and everything of theirs (treeMembers): each signal of `signals` goes to
 * every member and each of their groups, and the next follows when `stepMs` has passed with
 * members left — or at once when a root that was alive when the step began has ended (what
 * it left gets the firmer signal without waiting out the step). A polite signal is followed
 * by SIGCONT, so that a stopped process acts on it. The table is read again while waiting,
 * so that what members start meanwhile is signalled too. Resolves to true once nothing is
 * left (zombies count as ended), false if something outlived the last signal or the table
 * could not be read (then the roots' groups get each signal in turn).
 *
 * A root is followed only while it is the process recorded; one that is gone still lends
 * its group, so the caller passes only roots whose end it has just seen, or that it has
 * just found running (a record from long ago is checked with isSameProcess first).
 */
export async function endProcessTree(roots: ProcessIdentity[], signals: NodeJS.Signals[], stepMs: number, io: TreeEndIo = realIo): Promise<boolean> {
  const known = roots.filter((root) => root.start !== undefined && root.pid > 1);
  if (known.length === 0) return true;
  const ours = new Map(known.map((root) => [root.pid, root.start!]));
  for (const [index, signal] of signals.entries()) {
    const last = index === signals.length - 1;
    const deadline = io.now() + (last ? LAST_STEP_MS : stepMs);
    const signalled = new Set<number>();
    let rootsAtStart: number[] | undefined;
    let pause = POLL_FIRST_MS;
    for (;;) {
      const table = await io.table();
      // Nothing to be seen: the roots' own groups are all that can be told apart.
      const tree = table ? treeMembers(table, ours, io.self) : { members: [], groups: known.map((root) => root.pid) };
      const living = tree.members.filter((row) => !row.zombie);
      if (table && living.length === 0) return true;
      const liveRoots = known.filter((root) => living.some((row) => row.pid === root.pid && row.start === root.start)).map((root) => root.pid);
      rootsAtStart ??= liveRoots;
      // Groups first: a member that forks meanwhile forks into its group.
      for (const pgid of tree.groups.filter((pgid) => !signalled.has(-pgid))) {
        signalled.add(-pgid);
        io.signal(-pgid, signal);
      }
      for (const row of living.filter((row) => !signalled.has(row.pid))) {
        signalled.add(row.pid);
        io.signal(row.pid, signal);
        if (signal !== 'SIGKILL') io.signal(row.pid, 'SIGCONT');
      }
      const rootEnded = rootsAtStart.some((pid) => !liveRoots.includes(pid));
      if (io.now() >= deadline || (rootEnded && !last)) break;
      await io.sleep(Math.min(pause, Math.max(0, deadline - io.now())));
      pause = Math.min(pause * 2, POLL_MAX_MS);
    }
  }
  return false;
}

/** How long a session that lost its terminal has after SIGHUP before it is killed. */
const HANG_UP_GRACE_MS = 2000;

/**
 * What a terminal's hang-up does to a session, made sure of for all of it: the agent whose
 * holder is gone gets SIGHUP with everything it started, and SIGKILL after
 * HANG_UP_GRACE_MS for what did not end by then.
 */
export function hangUpTree(agent: ProcessIdentity): Promise<boolean> {
  return endProcessTree([agent], ['SIGHUP', 'SIGKILL'], HANG_UP_GRACE_MS);
}
