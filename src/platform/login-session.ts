import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * On Linux, systemd-logind may end every process of a login session when the person logs
 * out (KillUserProcesses=yes, or `loginctl terminate-session`): an SSH logout would take
 * every agent with it. Where systemd runs the user's session, a holder starts in a scope of
 * its own under the user's manager (`systemd-run --user --scope`), outside the login
 * session, as tmux and screen are advised to. ORCHESTRA_SYSTEMD_SCOPE=0 turns it off.
 */
export interface LoginSessionContext {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  exists(path: string): boolean;
}

export function loginSessionContext(env: NodeJS.ProcessEnv = process.env): LoginSessionContext {
  return { platform: process.platform, env, exists: existsSync };
}

/** Whether holders leave the login session through a systemd user scope here. */
export function usesSystemdScope(context: LoginSessionContext): boolean {
  if (context.platform !== 'linux') return false;
  const setting = context.env.ORCHESTRA_SYSTEMD_SCOPE;
  if (setting === '0' || setting === 'false' || setting === 'off') return false;
  // The user's manager listens here when it runs; without it there is no scope to move to.
  const runtime = context.env.XDG_RUNTIME_DIR;
  return !!runtime && context.exists(join(runtime, 'systemd', 'private')) && ['/usr/bin/systemd-run', '/bin/systemd-run'].some((path) => context.exists(path));
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
