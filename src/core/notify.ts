import { spawn } from 'node:child_process';
import type { NotifyConfig } from './config.js';

/** A notification command that has not finished by then is ended: it must not pile up. */
const NOTIFY_TIMEOUT_MS = 30_000;

export interface Notification {
  event: 'waiting' | 'idle';
  task: { id: number; slug: string; title: string };
  project: string;
  status: string;
  waiting: string | null;
}

/**
 * Runs the user's `notify.command` for an event it asked for, with what happened in its
 * environment (never in its command line, so no agent's text is run as shell code). A
 * command given as one string runs through /bin/sh. Resolves with a sentence for the
 * task's log when the command failed, else null.
 */
export function notify(config: NotifyConfig | undefined, notification: Notification): Promise<string | null> {
  if (!config || !(config.on ?? ['waiting']).includes(notification.event)) return Promise.resolve(null);
  const argv = typeof config.command === 'string' ? ['/bin/sh', '-c', config.command] : config.command;
  const { task } = notification;
  const env = {
    ...process.env,
    ORCHESTRA_EVENT: notification.event,
    ORCHESTRA_TASK_ID: String(task.id),
    ORCHESTRA_TASK_SLUG: task.slug,
    ORCHESTRA_TASK_REF: `${task.id}:${task.slug}`,
    ORCHESTRA_TASK_TITLE: task.title,
    ORCHESTRA_PROJECT_ROOT: notification.project,
    ORCHESTRA_STATUS: notification.status,
    ORCHESTRA_WAITING: notification.waiting ?? '',
  };
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: notification.project, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-500)));
    const timer = setTimeout(() => child.kill('SIGKILL'), NOTIFY_TIMEOUT_MS);
    const said = () => (stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : '');
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(`the notify command could not run (${error.message}); check notify.command in the config`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(null);
      else resolve(`the notify command ${signal ? `was ended by ${signal}` : `exited with status ${code}`}${said()}`);
    });
  });
}
