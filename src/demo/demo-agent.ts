import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * The demo agent: a stand-in for a coding agent that needs nothing installed. It shows
 * progress, writes and commits a file, asks a question and waits for the answer, then
 * waits for more input like an agent at its prompt. `orchestra demo` runs it; tests use
 * it as the `demo` profile. ORCHESTRA_DEMO_STEP_MS sets its pace.
 */

const args = process.argv.slice(2);
const promptFile = args[args.indexOf('--prompt-file') + 1];
const resumed = args.includes('--continue');
const stepMs = Number(process.env.ORCHESTRA_DEMO_STEP_MS ?? 80);
const id = process.env.ORCHESTRA_TASK_ID ?? '?';
const slug = process.env.ORCHESTRA_TASK_SLUG ?? 'task';
const colour = (code: number, text: string) => `\x1b[${code}m${text}\x1b[0m`;
// The terminal turns \n into \r\n (the PTY's onlcr), as for any program.
const say = (text = '') => process.stdout.write(`${text}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const lines = createInterface({ input: process.stdin });
const queue: string[] = [];
let waiting: ((line: string) => void) | undefined;
lines.on('line', (line) => (waiting ? (waiting(line), (waiting = undefined)) : queue.push(line)));
lines.on('close', () => process.exit(0));
const ask = (question: string) =>
  new Promise<string>((resolve) => {
    process.stdout.write(question);
    const next = queue.shift();
    if (next !== undefined) resolve(next);
    else waiting = resolve;
  });

function commit(file: string, message: string): string {
  try {
    execFileSync('git', ['add', file], { stdio: 'ignore' });
    execFileSync('git', ['commit', '-q', '-m', message], { stdio: 'ignore' });
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return '(not committed: git refused)';
  }
}

async function main(): Promise<void> {
  const prompt = promptFile ? readFileSync(promptFile, 'utf8') : '';
  const task = prompt.split('\n').slice(3).join('\n').trim() || '(no description)';
  say(colour(1, `Demo agent · task ${id}:${slug}`));
  say(colour(2, 'A stand-in for a real coding agent. Detach with ctrl-\\; it keeps running.'));
  say();
  if (resumed) {
    say(colour(36, 'Resuming the previous conversation.'));
    say();
  } else {
    say(`${colour(36, 'Task:')} ${task.split('\n')[0]}`);
    say();
    for (let percent = 0; percent <= 100; percent += 10) {
      const bar = '#'.repeat(percent / 5).padEnd(20, '.');
      process.stdout.write(`\rWorking [${bar}] ${String(percent).padStart(3)}%`);
      await sleep(stepMs);
    }
    say();
    const file = `demo-${id}-${slug}.md`;
    writeFileSync(file, `# ${slug}\n\n${task}\n`);
    say(`Wrote ${file} and committed it as ${commit(file, `demo: ${slug}`)}.`);
    say();
    const answer = await ask(`${colour(33, 'Question:')} what should the file's last line say? > `);
    appendFileSync(file, `\n${answer}\n`);
    say(`Added "${answer}" and committed it as ${commit(file, `demo: ${slug}: answer`)}.`);
    say();
    say(colour(32, `Done. Mark the task completed with 'orchestra complete ${id}'.`));
  }
  for (;;) {
    const line = await ask('> ');
    if (line.trim() === 'exit') process.exit(0);
    say(`(demo) I heard: ${line}`);
  }
}

void main();
