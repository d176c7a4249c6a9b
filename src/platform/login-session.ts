import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * On Linux, systemd-logind may end every process of a login session when the person logs
 * out (KillUserProcesses=yes, or `loginctl terminate-session`): an SSH logout would take
 * every agent with it. Where systemd runs the user's session and keeps the user's manager
 * after logout (lingering, `loginctl enable-linger`), a holder starts in a scope of its own
 * under that manager (`systemd-run --user --scope`), outside the login session, as tmux and
 * screen are advised to. Without lingering the manager itself stops at logout, and its scopes
 * with it: there the holder stays where it was started, which survives a logout unless
 * KillUserProcesses is set. ORCHESTRA_SYSTEMD_SCOPE=0 turns the scope off.
 */
export interface LoginSessionContext {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** The user's name, for logind's lingering flag. */
  user: string;
  exists(path: string): boolean;
}

export function loginSessionContext(env: NodeJS.ProcessEnv = process.env): LoginSessionContext {
  return { platform: process.platform, env, user: userInfo().username, exists: existsSync };
}

/** Whether holders leave the login session through a systemd user scope here. */
export function usesSystemdScope(context: LoginSessionContext): boolean {
  if (context.platform !== 'linux') return false;
  const setting = context.env.ORCHESTRA_SYSTEMD_SCOPE;
  if (setting === '0' || setting === 'false' || setting === 'off') return false;
  // The user's manager listens here when it runs; without it there is no scope to move to.
  const runtime = context.env.XDG_RUNTIME_DIR;
  if (!runtime || !context.exists(join(runtime, 'systemd', 'private'))) return false;
  // Without lingering the manager ends at logout, and a scope under it would end the agent.
  if (!context.exists(join('/var/lib/systemd/linger', context.user))) return false;
  return ['/usr/bin/systemd-run', '/bin/systemd-run'].some((path) => context.exists(path));
}

/**
 * The command that starts a holder (`argv`, a node invocation) outside the login session
 * where that is possible; `argv` itself elsewhere. systemd-run --scope runs the command in
 * its own process, so the pid stays the holder's.
 */
export function holderCommand(argv: string[], unit: string, context: LoginSessionContext): string[] {
  if (!usesSystemdScope(context)) return argv;
  const systemdRun = context.exists('/usr/bin/systemd-run') ? '/usr/bin/systemd-run' : '/bin/systemd-run';
  return [systemdRun, '--user', '--scope', '--quiet', '--collect', `--unit=${unit}`, '--', ...argv];
}
