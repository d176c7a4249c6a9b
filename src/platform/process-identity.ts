import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * A pid is not an identity (DESIGN.md §7.14): after the process ends, the number goes to
 * another one, and after a reboot a record may name anybody's process. Orchestra records a
 * process's start time beside its pid when it starts it, and signals it only while the two
 * still match.
 */
export interface ProcessIdentity {
  pid: number;
  /** Opaque: compared, never interpreted. Undefined in records from before it was kept. */
  start: string | undefined;
}

/** How the start time is read; injected by the tests of each platform's branch. */
export interface StartTimeProbe {
  readFile(path: string): string;
  /** `ps -o lstart= -p <pid>` in the C locale and UTC (a Mac that travels changes zone): the start to the second; '' when there is no such process. */
  psStart(pid: number): string;
}

/** ps in the C locale and UTC: the same start prints the same wherever and whenever ps runs. */
export const PS_ENV: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', TZ: 'UTC' };

const realProbe: StartTimeProbe = {
  readFile: (path) => readFileSync(path, 'utf8'),
  psStart: (pid) => {
    try {
      return execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', env: PS_ENV, stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return ''; // ps exits 1 when no process has that pid.
    }
  },
};

/** The boot's id, which makes Linux's start ticks (counted from boot) unique across boots. */
export const LINUX_BOOT_ID = '/proc/sys/kernel/random/boot_id';

/**
 * The fields of a Linux `/proc/<pid>/stat` after the name (state, ppid, pgrp, session, …;
 * the start in ticks is the 20th of them), or undefined if it does not read as one. The name
 * may hold spaces and parentheses, so the fields start after its last ')'.
 */
export function procStatFields(stat: string): string[] | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).trim().split(' ');
  return fields.length >= 20 && /^\d+$/.test(fields[19]!) ? fields : undefined;
}

/** A Linux start time as processStartTime gives it: the boot's id and the start's ticks. */
export function linuxStart(boot: string, fields: string[]): string {
  return `${boot.trim()}:${fields[19]}`;
}

/** A ps start time (lstart) as processStartTime gives it: trimmed, runs of spaces folded. */
export function psStart(lstart: string): string {
  return lstart.trim().replace(/\s+/g, ' ');
}

/**
 * When process `pid` started, as a string that differs between any two processes that had
 * the same pid; undefined when no such process runs.
 * - Linux: the start in clock ticks since boot (`/proc/<pid>/stat`, field 22), with the
 *   boot's id, since the ticks start again at every boot.
 * - macOS and the other BSDs: `ps -o lstart=`, an absolute date to the second (no /proc).
 */
export function processStartTime(pid: number, platform: NodeJS.Platform = process.platform, probe: StartTimeProbe = realProbe): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (platform === 'linux') {
    let stat: string;
    let boot: string;
    try {
      stat = probe.readFile(`/proc/${pid}/stat`);
      boot = probe.readFile(LINUX_BOOT_ID);
    } catch {
      return undefined;
    }
    const fields = procStatFields(stat);
    return fields ? linuxStart(boot, fields) : undefined;
  }
  return psStart(probe.psStart(pid)) || undefined;
}

/** This process's own identity, for records that others will check before they signal it. */
export function ownIdentity(): ProcessIdentity {
  return { pid: process.pid, start: processStartTime(process.pid) };
}

/** Whether the process a record names is still the one that was recorded. A record without a start time proves nothing. */
export function isSameProcess(identity: ProcessIdentity, probe?: (pid: number) => string | undefined): boolean {
  if (identity.start === undefined) return false;
  return (probe ?? ((pid) => processStartTime(pid)))(identity.pid) === identity.start;
}

/**
 * Signals the process group led by the recorded process, if that process is still the one
 * recorded; a stranger that has its pid now is left alone. True when the signal was sent.
 */
export function signalGroupOf(identity: ProcessIdentity, signal: NodeJS.Signals, probe?: (pid: number) => string | undefined): boolean {
  if (!isSameProcess(identity, probe)) return false;
  try {
    process.kill(-identity.pid, signal);
    return true;
  } catch {
    return false; // The group is gone already.
  }
}
