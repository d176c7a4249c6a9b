import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TaskInfo } from '../../../protocol/daemon.js';
import { LiveTasks } from '../../daemon/live-tasks.js';
import { paint } from '../output.js';
import * as agents from './agents.js';
import { status } from './status.js';
import { newTask } from './tasks.js';
import { worktreeOf as worktree } from './worktree.js';

/**
 * `orchestra demo`: a throwaway repository with two tasks run by the built-in demo agent,
 * so a newcomer sees start, status, peek, attach and detach work with no agent installed.
 * Every step is the real command, printed before it runs.
 */
export async function demo(): Promise<void> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'orchestra-demo-')));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Orchestra demo');
  git('config', 'user.email', 'demo@orchestra.invalid');
  writeFileSync(join(dir, 'README.md'), '# A demo project\n\nTwo demo agents work on it in their own worktrees.\n');
  mkdirSync(join(dir, '.orchestra'));
  writeFileSync(join(dir, '.orchestra', 'config.yaml'), '# The demo uses the built-in demo agent, which needs nothing installed.\nagent: demo\n');
  git('add', '.');
  git('commit', '-q', '-m', 'A demo project');
  process.chdir(dir);
  console.log(`${paint('Orchestra demo', 'bold')}: a throwaway repository in ${dir}, with two tasks for the demo agent.\n`);

  const step = async (command: string, run: () => Promise<void>) => {
    console.log(paint(`$ orchestra ${command}`, 'bold'));
    await run();
    console.log();
  };
  for (const [slug, text] of [
    ['greet', 'Write a greeting for the README.'],
    ['notes', 'Take notes on the project.'],
  ] as const) {
    await step(`new ${slug} -m "${text}"`, () => newTask(slug, { message: `${text}\n` }));
  }
  await step('start 1', () => agents.start('1', {}));
  await step('start 2', () => agents.start('2', {}));
  const worktrees = dirname(await worktree('1'));
  // Let the agents work until they ask their questions, which status then shows.
  await until(dir, (tasks) => tasks.length > 0 && tasks.every((task) => task.waiting), 8000);
  await step('status', () => status({}));
  await step('peek 2', () => agents.peek('2', {}));

  if (process.stdin.isTTY && process.stdout.isTTY) {
    if (await pressEnter(`Press Enter to attach to task 1. Answer its question, then press ${paint('ctrl-\\', 'bold')} to detach; the agent keeps running. `)) {
      let typed = false;
      await step('attach 1', async () => {
        const end = await agents.attachTo('1', {}).catch((error: unknown) => {
          process.stdin.setRawMode(false);
          throw error;
        });
        process.exitCode = end.code;
        typed = end.typed;
      });
      // What status says next is true: the daemon has heard that the viewer left and, when
      // the person typed, that the agent took the answer (a question left unanswered stays).
      await until(dir, (tasks) => tasks.some((task) => task.id === 1 && task.viewers === 0 && !(typed && task.waiting)), ANSWER_MS);
      await step('status', () => status({}));
    }
  }
  console.log(
    [
      `The demo project stays in ${dir}; both agents keep running. Try, from there:`,
      '  orchestra ui                (every agent on one screen: Enter attaches, q quits)',
      '  orchestra status            orchestra attach 2        orchestra peek 1 --lines 20',
      '  orchestra logs 1            orchestra cd 1            orchestra stop 2',
      `Clean up: (cd ${dir} && orchestra stop 1 && orchestra stop 2) && rm -rf ${dir} ${worktrees}`,
    ].join('\n'),
  );
}

/** How long status waits, at most, for the agent's answer to be taken: keys that answered nothing change nothing. */
const ANSWER_MS = 3000;

/**
 * Resolves once `done` holds for the project's tasks, as the daemon's change events
 * (`task.subscribe`) tell them, or after `ms`.
 */
async function until(cwd: string, done: (tasks: TaskInfo[]) => boolean, ms: number): Promise<void> {
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const live: LiveTasks = new LiveTasks(
    { cwd },
    {
      changed: () => {
        if (done(live.list)) settle();
      },
      connection: () => {},
    },
  );
  const timer = setTimeout(settle, ms);
  try {
    await live.open();
    await settled;
  } finally {
    clearTimeout(timer);
    live.close();
  }
}

/**
 * Waits for Enter (true) or ctrl-c / ctrl-d (false). Whatever was typed after the Enter is
 * put back into stdin, and the terminal stays raw, so a quick typist's first keys reach the
 * agent that attach shows next instead of being eaten by a line reader.
 */
function pressEnter(prompt: string): Promise<boolean> {
  const stdin = process.stdin;
  process.stdout.write(prompt);
  stdin.setRawMode(true);
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      const at = chunk.findIndex((byte) => byte === 0x0d || byte === 0x0a || byte === 0x03 || byte === 0x04);
      if (at < 0) return;
      stdin.removeListener('data', onData);
      stdin.pause();
      process.stdout.write('\r\n');
      const enter = chunk[at] === 0x0d || chunk[at] === 0x0a;
      if (!enter) stdin.setRawMode(false);
      else if (at + 1 < chunk.length) stdin.unshift(chunk.subarray(at + 1));
      resolve(enter);
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
