import { Methods, SETUP_OUTPUT_NOTIFICATION, type StartTaskParams, type TaskDetail } from '../../../protocol/daemon.js';
import { OrchestraError, UsageError } from '../../core/errors.js';
import { openControl } from '../../daemon/client.js';
import { attach as attachTerminal, type AttachEnd } from '../attach.js';
import { withDaemon } from '../context.js';
import { paint } from '../output.js';
import { lastScreen } from '../../core/last-screen.js';
import { terminalSafe } from '../../client/text.js';

/** Commands about a task's running agent: start, stop, attach, peek. */

const cwd = () => process.cwd();

export interface StartOptions {
  agent?: string;
  attach?: boolean;
  skipSetup?: boolean;
}

/** The shell's environment, which the agent gets (API keys, PATH): the daemon may have been started elsewhere. */
function shellEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  return env;
}

export async function start(ref: string, options: StartOptions): Promise<void> {
  if (options.attach && !(process.stdin.isTTY && process.stdout.isTTY)) {
    throw new UsageError(`--attach needs a terminal; start without it and use 'orchestra peek ${ref}' to see the screen.`);
  }
  const size = process.stdout.isTTY ? { cols: process.stdout.columns, rows: process.stdout.rows } : {};
  const task = await requestStart({ cwd: cwd(), ref, agent: options.agent, skip_setup: options.skipSetup, ...size }, (data) => process.stdout.write(data));
  console.log(`Started ${paint(task.ref, 'bold')} with ${task.agent} in ${task.worktree} (branch ${task.branch}).`);
  if (task.status !== 'running' && task.exit_code !== null) {
    // A scripted agent that did its work and exited 0 at once.
    console.log(`The agent has ended already (exit code ${task.exit_code}); 'orchestra peek ${task.id}' shows its last screen, 'orchestra diff ${task.id}' what it did.`);
    return;
  }
  if (options.attach) {
    process.exitCode = (await attachTo(task.ref)).code;
    return;
  }
  console.log(`Attach with 'orchestra attach ${task.id}', or look with 'orchestra peek ${task.id}'.`);
}

/** Starts the task's agent with this shell's environment; `output` gets the setup script's output, live, as the daemon runs it. */
export function requestStart(params: Omit<StartTaskParams, 'env'>, output: (data: string) => void): Promise<TaskDetail> {
  return withDaemon((client) => {
    client.onNotification(SETUP_OUTPUT_NOTIFICATION, (notification) => output(String((notification as { data?: unknown }).data ?? '')));
    return client.request(Methods.startTask, { ...params, env: shellEnv() });
  });
}

export async function stop(ref: string, options: { force?: boolean }): Promise<void> {
  // A stubborn agent takes a few seconds to escalate through; say what is going on.
  const patience = setTimeout(() => process.stderr.write('orchestra: waiting for the agent to end (interrupt, then terminate, then kill, 3 s apart)…\n'), 1000);
  const result = await withDaemon((c) => c.request(Methods.stopTask, { cwd: cwd(), ref, force: options.force })).finally(() => clearTimeout(patience));
  const task = result.task;
  if (!result.was_running) {
    console.log(`${paint(task.ref, 'bold')} has no running agent; nothing to stop.`);
    return;
  }
  console.log(`Stopped ${paint(task.ref, 'bold')} (${result.how}); its worktree ${task.worktree} is kept ('orchestra start ${task.id}' resumes).`);
}

export async function attach(ref: string, options: { readOnly?: boolean; detachKey?: string }): Promise<void> {
  process.exitCode = (await attachTo(ref, options)).code;
}

/** Attaches until the person detaches or the agent ends, then says which; how it ended for the caller. */
export async function attachTo(ref: string, options: { readOnly?: boolean; detachKey?: string } = {}): Promise<AttachEnd> {
  const info = await withDaemon((c) => c.request(Methods.terminal, { cwd: cwd(), ref }));
  const end = await attachTerminal(info, options);
  process.stdout.write(`${end.message}\n`);
  return end;
}

/**
 * `orchestra send`: types text into the agent as a person at its keyboard does, without
 * attaching: the holder pastes it and presses Enter once the app has taken it.
 */
export async function send(ref: string, text: string, options: { enter?: boolean }): Promise<void> {
  const connection = await openControl(cwd(), ref);
  try {
    await connection.type(text, options.enter === true);
  } catch (error) {
    throw new OrchestraError(`Could not type into ${terminalSafe(ref)}: ${(error as Error).message}.`);
  }
  // An older holder has the keys once the connection has been flushed and closed in order.
  await new Promise<void>((resolve) => connection.end(resolve));
}

export async function peek(ref: string, options: { lines?: string; ansi?: boolean }): Promise<void> {
  const lines = options.lines === undefined ? 0 : Number(options.lines);
  if (!Number.isInteger(lines) || lines < 0) throw new UsageError(`--lines takes a number of lines, not '${options.lines}'.`);
  const connection = await openControl(cwd(), ref).catch(async (error: unknown) => {
    // An agent that has ended left its last screen in the task's log: shown, as ui does.
    if (await printLastScreen(ref, lines)) return undefined;
    throw error;
  });
  if (!connection) return;
  const text = await connection.screen(lines, options.ansi === true);
  connection.close();
  // With colours, attributes are reset before the last newline, so the prompt after it is plain.
  const end = options.ansi ? '\x1b[0m\n' : '\n';
  process.stdout.write(text === '' ? text : `${text.replace(/\r?\n$/, '')}${end}`);
}

/** Prints the last screen of a task whose agent has ended, with a line on stderr that says so; false when there is none. */
async function printLastScreen(ref: string, lines: number): Promise<boolean> {
  const task = await withDaemon((client) => client.request(Methods.getTask, { cwd: cwd(), ref })).catch(() => undefined);
  const screen = task && !task.alive ? lastScreen(task.log) : undefined;
  if (!task || !screen) return false;
  const ended = task.exit_code === null ? 'has ended' : `ended with exit code ${task.exit_code}`;
  process.stderr.write(`orchestra: ${terminalSafe(task.ref)}'s agent ${ended}; its last screen:\n`);
  const shown = lines > 0 ? screen.slice(-lines) : screen;
  process.stdout.write(shown.map((line) => `${terminalSafe(line)}\n`).join(''));
  return true;
}
