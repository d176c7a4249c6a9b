import { Methods } from '../../../protocol/daemon.js';
import { assertKnownEvent, keptPayload } from '../../core/agent-events.js';
import { OrchestraError } from '../../core/errors.js';
import { connectDaemon, type DaemonClient } from '../../daemon/client.js';

export interface HookOptions {
  task?: string;
  reason?: string;
}

/**
 * `orchestra hook <event>`: an agent (or any tool) says what it does — Claude Code's hooks
 * and Orchestra's OpenCode plugin call it, users wire other tools to it. The agent's JSON
 * comes on stdin; the task from --task or the ORCHESTRA_TASK_ID of the agent's environment.
 *
 * It prints nothing, and exits 0, when it is done and when the agent does not run under
 * Orchestra (no task known, the task's agent not running, the agent's task removed), so an
 * agent's hook never shows an error for an agent someone runs by hand. Real failures (an
 * unknown event, stdin that is not JSON, a task named with --task that does not exist, a
 * daemon that fails) are one sentence on stderr and exit 1, never 2, which Claude Code would
 * read as "block this tool" (main.ts sees to that for every error, usage errors included).
 */
export async function hook(event: string, options: HookOptions): Promise<void> {
  assertKnownEvent(event);
  const ref = options.task ?? process.env.ORCHESTRA_TASK_ID;
  if (!ref) return;
  const given = await readPayload();
  if (options.reason !== undefined) given.reason = options.reason;
  // Only what the event reads goes on; the rest (a transcript's path, a file's new content) stays with the agent.
  const data = keptPayload(event, given);
  const cwd = process.env.ORCHESTRA_PROJECT_ROOT ?? process.cwd();
  // Replacing a daemon of another version is no news for an agent's hook: the daemon's log has it.
  const client = await connectDaemon({ notice: () => {} });
  try {
    await client.request(Methods.report, { cwd, ref, event, data, at: performance.timeOrigin });
  } catch (error) {
    if (error instanceof OrchestraError && error.exitCode === 1 && (await notUnderOrchestra(client, cwd, ref, options.task === undefined))) return;
    throw error;
  } finally {
    client.close();
  }
}

/**
 * Whether a refused report is the expected one of an agent that does not run under
 * Orchestra: the task's agent is not alive, or the agent's own task (ORCHESTRA_TASK_ID) is
 * gone, removed as the agent ended. A task named with --task that does not exist is a
 * mistake, and said.
 */
async function notUnderOrchestra(client: DaemonClient, cwd: string, ref: string, ownTask: boolean): Promise<boolean> {
  try {
    return !(await client.request(Methods.getTask, { cwd, ref })).alive;
  } catch {
    return ownTask;
  }
}

/** Agents close stdin once they have written their JSON; a stdin that stays open (a script's) is not waited for longer. */
const STDIN_WAIT_MS = 2000;

/** The agent's JSON from stdin, when it gives one; nothing to read from a terminal. */
async function readPayload(): Promise<Record<string, unknown>> {
  if (process.stdin.isTTY) return {};
  let text = '';
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, STDIN_WAIT_MS);
    process.stdin.on('data', (chunk: Buffer) => (text += chunk.toString()));
    process.stdin.on('end', () => (clearTimeout(timer), resolve()));
    process.stdin.on('error', () => (clearTimeout(timer), resolve()));
  });
  process.stdin.destroy();
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new OrchestraError('orchestra hook reads the agent\'s JSON on stdin, and what came is not JSON; pass nothing (</dev/null) or a JSON object.');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new OrchestraError('orchestra hook reads a JSON object on stdin, and what came is not one.');
  return value as Record<string, unknown>;
}
