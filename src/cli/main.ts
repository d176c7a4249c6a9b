#!/usr/bin/env node
import { cac, type CAC, type Command } from 'cac';
import { terminalSafe } from '../client/text.js';
import { closestMatches } from '../core/fuzzy.js';
import { OrchestraError, UsageError } from '../core/errors.js';
import { VERSION } from '../core/version.js';

/**
 * The `orchestra` command. Each command's module is loaded only when that command runs,
 * so start-up stays small: users type `orchestra status` all day.
 */

type HelpSection = { title?: string; body: string };

const tasks = () => import('./commands/tasks.js');
const agents = () => import('./commands/agents.js');
const worktree = () => import('./commands/worktree.js');
const merges = () => import('./commands/merge.js');

function buildCli(): CAC {
  const cli = cac('orchestra');

  cli.command('init', 'Create .orchestra/ with a commented config.yaml and a setup.sh template').action(async () => (await tasks()).init());

  cli
    .command('new <slug>', 'Create a draft task; opens $VISUAL/$EDITOR unless -m is given or stdin is not a terminal')
    .option('-m, --message <text>', 'The task description (the agent\'s first prompt)')
    .option('--base <branch>', 'Branch the task starts from (default: the current branch)')
    .option('--agent <name>', 'Agent profile for this task (default: config "agent")')
    .option('--json', 'Print the created task as JSON')
    .example('orchestra new fix-tests -m "Make npm test pass"')
    .action(async (slug: string, options) => (await tasks()).newTask(String(slug), options));

  cli.command('edit <task>', 'Open the task file in $VISUAL/$EDITOR').action(async (ref: string) => (await tasks()).edit(String(ref)));

  cli
    .command('show <task>', 'Show a task: its settings and description')
    .option('--json', 'Print the task as JSON')
    .action(async (ref: string, options) => (await tasks()).show(String(ref), options));

  cli
    .command('status', 'Overview of the tasks, grouped by status')
    .option('--all', 'Every project the daemon knows, not only this one')
    .option('--json', 'Print an array of tasks as JSON (the format is stable)')
    .option('--watch', 'Print it again whenever a task changes, until ctrl-c (with --json: one array per line)')
    .action(async (options) => (await import('./commands/status.js')).status(options));

  cli.command('complete <task>', 'Mark a task completed').action(async (ref: string) => (await tasks()).complete(String(ref)));
  cli.command('review <task>', 'Mark a finished task reviewed').action(async (ref: string) => (await tasks()).review(String(ref)));
  cli
    .command('set-status <task> <status>', 'Set a task\'s status: draft, running, idle, completed or reviewed')
    .action(async (ref: string, status: string) => (await tasks()).setStatus(String(ref), String(status)));
  cli
    .command('rm <task>', 'Remove a task: stop its agent, remove its worktree, delete the task file (the branch stays)')
    .option('--delete-branch', 'Delete the task\'s branch too (refused when it has unmerged commits, unless --force)')
    .option('--force', 'Remove even when the worktree has uncommitted changes or the branch unmerged commits: they are lost')
    .example('orchestra rm 3 --delete-branch')
    .action(async (ref: string, options) => (await tasks()).remove(String(ref), options));

  cli
    .command('diff <task>', 'Show what the task changed against its base branch, committed or not, through git\'s pager')
    .option('--stat', 'Only a summary of the files changed')
    .action(async (ref: string, options) => (await merges()).diff(String(ref), options));

  cli
    .command('merge <task>', 'Merge the task\'s branch into its base branch in the main checkout, after checking that nothing can be lost')
    .option('--squash', 'One commit whose message is the task\'s slug and description')
    .option('--rebase', 'Rebase the task\'s branch onto the base, then fast-forward')
    .option('--commit', 'Commit what the task\'s worktree has not committed yet, on its branch, first')
    .option('--cleanup', 'Remove the task\'s worktree and branch afterwards')
    .option('--force', 'Merge although the agent is running')
    .option('--json', 'Print the result as JSON')
    .example('orchestra merge 3 --squash --cleanup')
    .action(async (ref: string, options) => (await merges()).merge(String(ref), options));

  cli
    .command('start <task>', 'Start the task\'s agent in the background, in its own worktree (made and set up on first start)')
    .option('--agent <name>', 'Agent profile to run (default: the task\'s, else config "agent")')
    .option('--attach', 'Attach to the agent once it runs')
    .option('--skip-setup', 'Do not run the setup script in a new worktree')
    .example('orchestra start 3 --attach')
    .action(async (ref: string, options) => (await agents()).start(String(ref), options));
  cli
    .command('stop <task>', 'Stop the task\'s agent (interrupt, then terminate, then kill); the worktree stays')
    .option('--force', 'Kill the agent at once')
    .action(async (ref: string, options) => (await agents()).stop(String(ref), options));
  cli
    .command('attach <task>', 'Show the agent\'s terminal and type into it; ctrl-\\ detaches and leaves it running')
    .option('--read-only', 'Watch without typing or resizing')
    .option('--detach-key <key>', 'Key that detaches, such as ctrl-] (default: config "detach_key"); "none" for no key')
    .action(async (ref: string, options) => (await agents()).attach(String(ref), options));
  cli
    .command('peek <task>', 'Print the agent\'s current screen')
    .option('--lines <n>', 'Add this many lines of scrollback above the screen')
    .option('--ansi', 'Keep colours and attributes')
    .action(async (ref: string, options) => (await agents()).peek(String(ref), options));
  cli
    .command('send <task> <text>', 'Type text into the agent without attaching')
    .option('--enter', 'Press Enter after the text')
    .example('orchestra send 3 "yes, go ahead" --enter')
    .action(async (ref: string, text: string, options) => (await agents()).send(String(ref), String(text), options));
  cli.command('path <task>', 'Print the task\'s worktree path').action(async (ref: string) => (await worktree()).path(String(ref)));
  cli
    .command('cd <task>', 'Go to the task\'s worktree (a subshell, unless the shell integration is loaded)')
    .action(async (ref: string) => (await worktree()).cd(String(ref)));
  cli
    .command('shell-init <shell>', 'Print the shell integration for bash, zsh or fish: eval "$(orchestra shell-init bash)"')
    .action(async (shell: string) => (await worktree()).shellInit(String(shell)));
  cli
    .command('logs <task>', 'Show the task\'s log: setup output, starts, stops, exits')
    .option('-f, --follow', 'Keep printing what is added')
    .action(async (ref: string, options) => (await import('./commands/logs.js')).logs(String(ref), options));
  cli
    .command('ui', 'Live dashboard: every task with its status, the selected agent\'s screen; keys attach, start, stop, complete, merge')
    .option('--all', 'Every project the daemon knows, not only this one')
    .example('orchestra ui --all')
    .action(async (options) => {
      process.exitCode = await (await import('../tui/main.js')).runUi(options);
    });
  cli
    .command('demo', 'Try Orchestra: a throwaway repository with two tasks run by the built-in demo agent')
    .action(async () => (await import('./commands/demo.js')).demo());

  cli
    .command('mcp', 'MCP server on stdio for agents: list, create, start, stop and complete tasks, read another agent\'s screen')
    .action(async () => (await import('../mcp/server.js')).runMcpServer());

  cli
    .command('hook <event>', 'Tell Orchestra what an agent does (its hooks call this): running, idle, waiting, or a Claude Code hook or OpenCode event name, with the agent\'s JSON on stdin')
    .option('--task <task>', 'The task (default: ORCHESTRA_TASK_ID, which agents Orchestra starts have)')
    .option('--reason <text>', 'What the agent waits for, with waiting')
    .example('orchestra hook waiting --task 3 --reason "approval of the plan" </dev/null')
    .action(async (event: string, options) => (await import('./commands/hook.js')).hook(String(event), options));

  cli
    .command('daemon <action>', 'Manage the background daemon: run (foreground), start, stop, status')
    .action(async (action: string) => (await import('./commands/daemon.js')).daemon(String(action)));

  cli.help((sections) => helpSections(sections, cli.matchedCommand));
  cli.version(VERSION);
  return cli;
}

const UI_KEYS = {
  title: 'Keys',
  body: [
    '  up/down j/k  move                     enter  attach (ctrl-\\ comes back)',
    '  s  start     x  stop                  c  complete      r  reviewed',
    '  m  merge (asks first)                 n  new task      e  edit the task file',
    '  /  filter    ?  help                  q  quit (agents keep running)',
  ].join('\n'),
};

const TASK_NOTE = { title: 'Tasks', body: '  A <task> is its id (3), its slug (fix-tests) or both (3:fix-tests).' };

/** cac's help, plus what the command does, the meaning of <task>, and tidy lines. */
function helpSections(sections: HelpSection[], command: Command | undefined): HelpSection[] {
  const tidy = sections.map((section) => ({
    ...section,
    body: section.body
      .split('\n')
      .map((line) => (section.title === 'Examples' ? `  ${line}` : line).trimEnd())
      .join('\n'),
  }));
  if (command?.name) tidy.splice(2, 0, { body: `${command.description}.` });
  if (!command?.name || command.rawName.includes('<task>')) tidy.push(TASK_NOTE);
  if (command?.name === 'ui') tidy.push(UI_KEYS);
  return tidy;
}

async function main(argv: string[]): Promise<number> {
  const cli = buildCli();
  try {
    cli.parse(argv, { run: false });
    if (cli.options.help || cli.options.version) return 0;
    if (!cli.matchedCommand) {
      const [name] = cli.args;
      if (name === undefined) {
        cli.outputHelp();
        return 0;
      }
      const close = closestMatches(name, cli.commands.map((c) => c.name));
      const hint = close.length ? ` (did you mean ${close.join(' or ')}?)` : '';
      throw new UsageError(`'${name}' is not an orchestra command${hint}; 'orchestra --help' lists them.`);
    }
    restoreTextOptions(argv, cli);
    await cli.runMatchedCommand();
    return 0;
  } catch (error) {
    // A command that prints JSON with --json reports its failures as JSON too: a script reads one format.
    const json = cli.options.json === true && (cli.matchedCommand?.options.some((option) => option.name === 'json') ?? false);
    const status = report(error, cli.matchedCommand?.name, json);
    // Claude Code reads a hook's exit status 2 as "block this tool": hook never says 2.
    return cli.matchedCommand?.name === 'hook' ? Math.min(status, 1) : status;
  }
}

/**
 * cac's parser (mri) turns option values that look like numbers into numbers: `-m 007`
 * arrives as 7 and `-m '  '` as 0. Every option value Orchestra takes is text, so such
 * values are read again from argv as the user typed them.
 */
function restoreTextOptions(argv: string[], cli: CAC): void {
  const command = cli.matchedCommand;
  if (!command) return;
  for (const option of command.options) {
    if (Array.isArray(cli.options[option.name])) throw new UsageError(`--${option.names[option.names.length - 1]} was given more than once; give it once.`);
    if (typeof cli.options[option.name] !== 'number') continue;
    const flags = option.names.map((name) => (name.length === 1 ? `-${name}` : `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`));
    for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
      const arg = argv[i]!;
      const flag = flags.find((f) => arg === f || arg.startsWith(`${f}=`));
      if (flag) cli.options[option.name] = arg === flag ? argv[i + 1] : arg.slice(flag.length + 1);
    }
  }
}

/**
 * One sentence on stderr, or with `json` an object on stdout, `{ "error": sentence,
 * "exit_code": status }`; a stack trace (on stderr) only with ORCHESTRA_DEBUG=1. Returns the
 * exit status.
 */
function report(error: unknown, command: string | undefined, json: boolean): number {
  const debug = process.env.ORCHESTRA_DEBUG === '1';
  const { sentence, status } = describeError(error, command, debug);
  if (json) process.stdout.write(`${JSON.stringify({ error: sentence, exit_code: status }, null, 2)}\n`);
  else printError(`orchestra: ${sentence}`);
  if (debug && error instanceof Error) printError(`${error.stack}`);
  return status;
}

function describeError(error: unknown, command: string | undefined, debug: boolean): { sentence: string; status: number } {
  if (error instanceof OrchestraError) return { sentence: error.message, status: error.exitCode };
  if (error instanceof Error && error.name === 'CACError') {
    const help = command ? `orchestra ${command} --help` : 'orchestra --help';
    return { sentence: `${error.message.replace(/\.$/, '')}; see '${help}'.`, status: 2 };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { sentence: `unexpected error: ${message}${debug ? '' : ' (ORCHESTRA_DEBUG=1 shows details)'}`, status: 1 };
}

/** A sentence may quote a task file, a reference or an agent's words: shown, never obeyed by the terminal. */
function printError(text: string): void {
  process.stderr.write(`${terminalSafe(text, { multiline: true })}\n`);
}

// A reader that stops early (`orchestra status | head -1`) is no error: stop writing, quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') process.stderr.write(`orchestra: cannot write the output: ${error.message}\n`);
  process.exit(error.code === 'EPIPE' ? 0 : 1);
});
process.exitCode = await main(process.argv);
