import { daemonPath } from '../platform/login-path.js';

/** The ORCHESTRA_ variables that configure Orchestra itself; every other one describes a task. */
const SETTINGS = new Set(['ORCHESTRA_HOME', 'ORCHESTRA_DEBUG', 'ORCHESTRA_SYSTEMD_SCOPE', 'ORCHESTRA_HOLDER_REFRESH_MS', 'ORCHESTRA_DAEMON_IDLE_MS', 'ORCHESTRA_FAULT_POINT']);

/**
 * The daemon's environment is the user's, not that of the client that happened to start it
 * (DESIGN.md §1): a client run by an agent's hook carries that task's variables, and one
 * started from a GUI app a bare PATH. Task variables are dropped, and a bare PATH is
 * replaced by the login shell's. Agents get the environment of the shell that ran `start`,
 * which each request carries; this one is for git, setup's helpers and notifications.
 */
export function daemonEnvironment(env: NodeJS.ProcessEnv, path: (env: NodeJS.ProcessEnv) => string | undefined = daemonPath): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('ORCHESTRA_') && !SETTINGS.has(name)) continue;
    clean[name] = value;
  }
  const found = path(clean);
  if (found !== undefined) clean.PATH = found;
  return clean;
}
