import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { writePrivateFile } from '../platform/private-files.js';

/**
 * Named points inside the daemon's multi-step operations, where the fault suite
 * (test/faults/) kills the client or the daemon to prove every crash window heals.
 *
 * Off unless the daemon was started with ORCHESTRA_FAULT_POINT=<name> (a test setting, like
 * ORCHESTRA_HOLDER_REFRESH_MS): reaching that point writes `<ORCHESTRA_HOME>/fault-point`
 * with the name, and the operation waits there until the test removes the file.
 */
export const FAULT_POINTS = [
  'start:intent', // the start's intent recorded, nothing made yet
  'start:worktree', // worktree and branch made, setup not run
  'start:setup', // setup ran, no holder yet
  'start:launched', // the agent runs, the task not yet recorded as running
  'merge:checked', // checks passed, no merge commit yet
  'merge:committed', // the merge commit made, merged_commit not recorded
  'merge:recorded', // merged_commit recorded, cleanup not done
  'rm:stopped', // the agent stopped, worktree and file still there
  'rm:worktree', // the worktree removed, branch and task file still there
  'rm:branch', // the branch deleted, the task file still there
] as const;

export type FaultPoint = (typeof FAULT_POINTS)[number];

const armed = process.env.ORCHESTRA_FAULT_POINT;
const POLL_MS = 20;

/** Waits at `point` while a test holds it there; returns at once unless this point is armed. */
export async function faultPoint(point: FaultPoint): Promise<void> {
  if (armed !== point || !process.env.ORCHESTRA_HOME) return;
  const marker = join(process.env.ORCHESTRA_HOME, 'fault-point');
  writePrivateFile(marker, point);
  while (existsSync(marker)) await delay(POLL_MS);
}
