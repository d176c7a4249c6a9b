import { spawn } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { processStartTime } from '../platform/process-identity.js';
import { endProcessTree } from '../platform/process-tree.js';
import { OrchestraError } from './errors.js';
import { mayAccess } from './paths.js';

export interface SetupRun {
  /** The script as configured (relative to the project root, or absolute). */
  script: string;
  /** True when the script is the default one, which may be absent. */
  optional: boolean;
  root: string;
  worktree: string;
  timeoutSeconds: number;
  env: Record<string, string>;
  /** Called when the script is found and about to run. */
  started: () => void;
  /** Receives the script's output as it comes (stdout and stderr interleaved). */
  output: (chunk: string) => void;
  /** Where the output is kept, named in the error when the script fails. */
  logPath: string;
}

/**
 * Runs the project's setup script in a new worktree (DESIGN.md §3). Resolves to false when
 * there is no script to run; throws an OrchestraError that names the log when it fails or
 * runs out of time. Nothing it started outlives it (endProcessTree): a timeout ends all of
 * it, and what it leaves running in the background ends when it does.
 */
export async function runSetup(run: SetupRun): Promise<boolean> {
  const path = isAbsolute(run.script) ? run.script : resolve(run.root, run.script);
  if (!existsSync(path)) {
    if (run.optional) return false;
    throw new OrchestraError(`The setup script ${path} (setup.script in the config) does not exist; create it or change setup.script.`);
  }
  run.started();
  const executable = mayAccess(path, constants.X_OK);
  const script = executable ? [path] : ['/bin/sh', path];
  // Under a shell of its own that waits for it, so that the script's parent is not the
  // daemon: a script that kills its parent ('kill $PPID') ends its own run, not every agent's daemon.
  const child = spawn('/bin/sh', ['-c', '"$@"; exit $?', 'orchestra-setup', ...script], { cwd: run.worktree, env: run.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout.setEncoding('utf8').on('data', run.output);
  child.stderr.setEncoding('utf8').on('data', run.output);
  // In a session and group of its own (detached), known by identity, so that what it started
  // is found by its group after it has gone.
  const shell = { pid: child.pid ?? 0, start: child.pid ? processStartTime(child.pid) : undefined };
  const endAll = () => endProcessTree([shell], ['SIGKILL'], 0);
  let timedOut = false;
  let stopping: Promise<boolean> | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    stopping = endAll();
  }, run.timeoutSeconds * 1000);
  const result = await new Promise<{ code: number | null; signal: string | null; error?: Error }>((resolvePromise) => {
    child.once('error', (error) => resolvePromise({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => {
      // The script is done when it exits; something it left in the background may hold its
      // output open, and is not waited for.
      const streams = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 200);
      child.once('close', () => clearTimeout(streams));
      resolvePromise({ code, signal });
    });
  });
  clearTimeout(timer);
  // What the script left running (a server started with &) ends with it.
  await stopping;
  await endAll();
  const name = run.script;
  if (timedOut) throw new OrchestraError(`The setup script ${name} ran longer than ${run.timeoutSeconds} s and was stopped (setup.timeout in the config); its output is in ${run.logPath}.`);
  if (result.error) throw new OrchestraError(`The setup script ${name} could not run (${result.error.message}); its output is in ${run.logPath}.`);
  if (result.code !== 0) {
    const how = result.signal ? `was killed by ${result.signal}` : `failed with exit status ${result.code}`;
    throw new OrchestraError(`The setup script ${name} ${how}; the agent was not started and the task is unchanged. Its output is in ${run.logPath}.`);
  }
  return true;
}
