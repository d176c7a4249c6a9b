import { constants } from 'node:fs';
import type { ScreenPattern } from '../../protocol/holder.js';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { carryClaudeTrust } from './claude-trust.js';
import { agentNames, type AgentProfileConfig, type BuiltInAgent, type Config } from './config.js';
import { OrchestraError, UsageError } from './errors.js';
import { closestMatches } from './fuzzy.js';
import { prepareOpenCode } from './opencode-deps.js';
import { mayAccess } from './paths.js';

/**
 * Agent profiles (DESIGN.md §3): how to run an agent with a task's prompt, and how to
 * resume its last conversation. Built-ins need no configuration; a config entry with the
 * same name adjusts them; any other terminal program is a profile with a `command`.
 */

export interface AgentProfile {
  name: string;
  command: string[] | string;
  resume: string[] | string | undefined;
  env: Record<string, string>;
  idle_after: number;
  /** What the screen says, for the holder's fallback detection: the config's patterns, then the built-in ones. */
  patterns: ScreenPattern[];
  /** Give the agent Orchestra's MCP server (built-in profiles that know how). */
  mcp: boolean;
  /** The agent reports what it does itself (hooks, a plugin), so its screen is only the fallback until it does. */
  reports: boolean;
  /** Claude Code: carry the main checkout's folder trust over to the task's worktree. */
  trust_worktree: boolean;
}

/** What a built-in profile adds to its agent's command line and environment. */
type Added = { args?: string[]; env?: Record<string, string> };

/**
 * How a built-in profile hands its agent Orchestra's MCP server: arguments after the
 * command's (last, since Claude Code's list options would take a prompt after them as one
 * more value), and environment.
 */
type McpWiring = (server: McpServerSpec, env: Record<string, string>) => Added;

/**
 * How a built-in profile makes its agent report what it does (DESIGN.md §5): `hook` is
 * `orchestra hook` as a command line, to which the event's name is added.
 */
type HookWiring = (hook: string[], env: Record<string, string>) => Added;

/** `orchestra mcp`, as an agent runs it: with the variables that scope it to the task. */
export interface McpServerSpec {
  command: string[];
  env: Record<string, string>;
}

/** The demo agent shipped with Orchestra: needs nothing installed (`orchestra demo`, tests). */
export const DEMO_AGENT_SCRIPT = fileURLToPath(new URL('../demo/demo-agent.js', import.meta.url));

const CLI_MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));
/** Orchestra's OpenCode plugin: passes OpenCode's events on to `orchestra hook`. */
const OPENCODE_PLUGIN = new URL('../hooks/opencode-plugin.js', import.meta.url).href;
/** The Claude Code hooks Orchestra listens to (src/core/agent-events.ts says what each means). */
const CLAUDE_HOOKS = ['UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'PermissionDenied', 'Stop', 'PermissionRequest', 'Notification'];

/**
 * What Claude Code's screen shows that its hooks do not say, or say late (README.md,
 * "Claude Code"): the trust question, asked before any hook runs; its permission dialogs
 * ("Do you want to proceed?" over a Yes/No menu), whose leaving the screen is all there is
 * to see of an Esc; and auto mode's dialog when its safety check cannot run (behind a gateway
 * that does not pass it through), which fires no permission hook and only a late
 * notification; and the offer to make auto mode the default, shown after a turn to those
 * whose settings choose another mode, which takes whatever is typed next. A wait the screen
 * shows during a tool call is named after that call.
 */
const CLAUDE_PATTERNS: ScreenPattern[] = [
  { match: 'Do you trust the files in this folder\\?|Is this a project you created or one you trust\\?', status: 'waiting', reason: 'an answer to whether to trust the folder' },
  { match: '^ *Do you want to [^\\n]*\\?\\n(?: *\\n)? *(?:❯ *)?(?:1\\. )?(?:Yes|No)\\b', status: 'waiting', reason: 'permission to use a tool' },
  { match: 'Enter to stay in auto mode', status: 'waiting', reason: "a choice: auto mode can't check actions in this session" },
  { match: '^ *Make auto mode your default permission mode\\?', status: 'waiting', reason: 'a choice: whether to make auto mode the default permission mode' },
];

/** What scopes `orchestra mcp` to the agent's task and Orchestra's home; agents do not pass their environment on to MCP servers. */
const MCP_SCOPE = ['ORCHESTRA_HOME', 'ORCHESTRA_SOCKET', 'ORCHESTRA_PROJECT_ROOT', 'ORCHESTRA_TASK_ID', 'ORCHESTRA_TOKEN_FILE'];

interface BuiltInProfile {
  command: string[];
  resume: string[];
  env: Record<string, string>;
  idle_after: number;
  patterns: ScreenPattern[];
  install: string;
  mcp?: McpWiring;
  hooks?: HookWiring;
  /** What the agent needs in its worktree before it starts: what was done (for the task's log), and variables for its environment. */
  prepare?: (context: WorktreeContext) => { lines: string[]; env: Record<string, string> };
}

/** A task's worktree, about to get its agent. */
export interface WorktreeContext {
  /** The main checkout. */
  root: string;
  worktree: string;
  /** The agent's environment. */
  env: Record<string, string>;
}

const BUILT_IN_PROFILES: Record<BuiltInAgent, BuiltInProfile> = {
  opencode: {
    command: ['opencode', '--prompt', '{prompt}'],
    resume: ['opencode', '--continue'],
    env: {},
    idle_after: 3,
    patterns: [],
    install: 'npm install -g opencode-ai',
    prepare: ({ root, worktree, env }) => prepareOpenCode(root, worktree, env),
    // OpenCode merges OPENCODE_CONFIG_CONTENT over its config files; the user's own files stay untouched.
    mcp: (server, env) => {
      const content = parseObject(env.OPENCODE_CONFIG_CONTENT);
      const theirs = content.mcp && typeof content.mcp === 'object' ? content.mcp : {};
      const mcp = { ...theirs, orchestra: { type: 'local', command: server.command, environment: server.env, enabled: true } };
      return { env: { OPENCODE_CONFIG_CONTENT: JSON.stringify({ ...content, mcp }) } };
    },
    // The plugin is added to the user's list in OPENCODE_CONFIG_CONTENT; it reports to the
    // daemon at ORCHESTRA_SOCKET, as `orchestra hook` would.
    hooks: (_hook, env) => {
      const content = parseObject(env.OPENCODE_CONFIG_CONTENT);
      const plugins = Array.isArray(content.plugin) ? content.plugin : [];
      return { env: { OPENCODE_CONFIG_CONTENT: JSON.stringify({ ...content, plugin: [...plugins, OPENCODE_PLUGIN] }) } };
    },
  },
  claude: {
    command: ['claude', '{prompt}'],
    resume: ['claude', '--continue'],
    env: {},
    // Its screen counts only for a turn no hook ended (Esc): Claude Code animates its spinner
    // while it works, thinks or runs a silent command, so a second of stillness is an end
    // (bench/status-accuracy.ts: Esc was idle 3.4 s late with 3).
    idle_after: 1,
    patterns: CLAUDE_PATTERNS,
    install: 'npm install -g @anthropic-ai/claude-code',
    // Allowed up front, so that the agent's calls to Orchestra never wait for a person's permission.
    mcp: (server) => ({
      args: [
        '--mcp-config',
        JSON.stringify({ mcpServers: { orchestra: { type: 'stdio', command: server.command[0], args: server.command.slice(1), env: server.env } } }),
        '--allowedTools',
        'mcp__orchestra__*',
      ],
    }),
    // Passed with --settings, which Claude Code merges over the user's settings files without touching them.
    // In the background (async), so that no tool call waits for Node to start: each report
    // carries the moment its hook started, and the daemon puts late ones in order.
    hooks: (hook) => {
      const command = (event: string) => [...hook, event].map(shellQuote).join(' ');
      const hooks = Object.fromEntries(CLAUDE_HOOKS.map((event) => [event, [{ hooks: [{ type: 'command', command: command(event), async: true }] }]]));
      return { args: ['--settings', JSON.stringify({ hooks })] };
    },
  },
  demo: {
    command: [process.execPath, DEMO_AGENT_SCRIPT, '--prompt-file', '{prompt_file}'],
    resume: [process.execPath, DEMO_AGENT_SCRIPT, '--continue', '--prompt-file', '{prompt_file}'],
    env: {},
    idle_after: 2,
    patterns: [{ match: '^Question: .*\\? >$', status: 'waiting', reason: 'an answer to its question' }],
    install: '',
  },
};

function parseObject(json: string | undefined): Record<string, unknown> {
  if (!json) return {};
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Refuses a profile name the config does not know, naming the close ones. */
export function assertKnownAgent(agent: string, config: Config): void {
  const names = agentNames(config);
  if (names.includes(agent)) return;
  const close = closestMatches(agent, names);
  const hint = close.length ? ` (did you mean ${close.join(' or ')}?)` : '';
  throw new UsageError(`There is no agent profile '${agent}'${hint}; known profiles are ${names.join(', ')}, and others can be added under 'agents' in .orchestra/config.yaml.`);
}

export function agentProfile(name: string, config: Config): AgentProfile {
  const builtIn = BUILT_IN_PROFILES[name as BuiltInAgent] as BuiltInProfile | undefined;
  const configured: AgentProfileConfig = config.agents[name] ?? {};
  const command = configured.command ?? builtIn?.command;
  if (command === undefined) throw new OrchestraError(`There is no agent profile '${name}'.`);
  return {
    name,
    command,
    // A profile without its own resume command starts afresh; a built-in's resume is kept unless the command was changed.
    resume: configured.resume ?? (configured.command === undefined ? builtIn?.resume : undefined),
    env: { ...builtIn?.env, ...configured.env },
    idle_after: configured.idle_after ?? builtIn?.idle_after ?? 3,
    patterns: [...(configured.patterns ?? []), ...(builtIn?.patterns ?? [])],
    mcp: configured.mcp ?? (builtIn?.mcp !== undefined),
    // A command given as one shell string is the user's own: nothing is added to it.
    reports: builtIn?.hooks !== undefined && typeof command !== 'string',
    trust_worktree: configured.trust_worktree ?? name === 'claude',
  };
}

export interface AgentInvocation {
  argv: string[];
  /**
   * The command line as logs show it: `argv` with the prompt replaced by `<prompt: N chars>`,
   * since the daemon's log is no place for what a task says.
   */
  shown: string[];
  /** Variables the agent's environment needs for its command line (the placeholders' values). */
  env: Record<string, string>;
  /** True when this run continues the agent's previous conversation. */
  resumed: boolean;
}

export interface Placeholders {
  prompt: string;
  prompt_file: string;
  task_id: string;
  slug: string;
  worktree: string;
}

/** The environment variable that carries each placeholder's value. */
const PLACEHOLDER_VARS: Record<keyof Placeholders, string> = {
  prompt: 'ORCHESTRA_PROMPT',
  prompt_file: 'ORCHESTRA_PROMPT_FILE',
  task_id: 'ORCHESTRA_TASK_ID',
  slug: 'ORCHESTRA_TASK_SLUG',
  worktree: 'ORCHESTRA_WORKTREE',
};
const PLACEHOLDER = /\{(prompt|prompt_file|task_id|slug|worktree)\}/g;

/**
 * The command line for a start: the profile's resume command when the agent ran in this
 * worktree before and the profile can resume, else its command with the task's prompt.
 * A command given as one string runs through /bin/sh, its placeholders read from the
 * environment, so that no task description is ever run as shell code.
 */
export function agentInvocation(profile: AgentProfile, values: Placeholders, resume: boolean, env: Record<string, string>): AgentInvocation {
  const resumed = resume && profile.resume !== undefined;
  const template = resumed ? profile.resume! : profile.command;
  // A shell string's placeholders are read from the environment: its words never hold the prompt.
  const command = (words: Placeholders) =>
    typeof template === 'string' ? ['/bin/sh', '-c', shellTemplate(template)] : template.map((word) => word.replace(PLACEHOLDER, (_, key: keyof Placeholders) => words[key]));
  const argv = command(values);
  assertExecutable(argv[0]!, profile, env);
  const vars = Object.fromEntries(Object.entries(PLACEHOLDER_VARS).map(([key, name]) => [name, values[key as keyof Placeholders]]));
  // A command given as a shell string is the user's own: arguments cannot be slipped into it.
  const builtIn = typeof template === 'string' ? undefined : (BUILT_IN_PROFILES[profile.name as BuiltInAgent] as BuiltInProfile | undefined);
  const invocation: AgentInvocation = { argv, shown: command({ ...values, prompt: `<prompt: ${values.prompt.length} chars>` }), env: vars, resumed };
  const add = (added: Added) => {
    invocation.argv.push(...(added.args ?? []));
    invocation.shown.push(...(added.args ?? []));
    Object.assign(invocation.env, added.env);
  };
  // Hooks first: Claude Code's --allowedTools, which the MCP wiring adds, takes every word after it.
  if (builtIn?.hooks && profile.reports) add(builtIn.hooks([process.execPath, CLI_MAIN, 'hook'], { ...env, ...invocation.env }));
  if (builtIn?.mcp && profile.mcp) {
    const server = { command: [process.execPath, CLI_MAIN, 'mcp'], env: Object.fromEntries(MCP_SCOPE.filter((name) => env[name] !== undefined).map((name) => [name, env[name]!])) };
    add(builtIn.mcp(server, { ...env, ...invocation.env }));
  }
  return invocation;
}

/**
 * Readies a task's worktree for the profile's agent, right before it starts: the built-in's
 * own step (OpenCode's plugin dependencies), and Claude Code's folder trust where the profile
 * carries it. Returns lines for the task's log and variables for the agent's environment.
 */
export async function prepareWorktree(profile: AgentProfile, context: WorktreeContext): Promise<{ lines: string[]; env: Record<string, string> }> {
  const builtIn = BUILT_IN_PROFILES[profile.name as BuiltInAgent] as BuiltInProfile | undefined;
  const own = builtIn?.prepare?.(context) ?? { lines: [], env: {} };
  const trust = profile.trust_worktree ? await carryClaudeTrust(context.env, context.root, context.worktree) : null;
  return { lines: trust ? [...own.lines, trust] : own.lines, env: own.env };
}

/** A word for /bin/sh: quoted unless it is plainly safe. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The agent's first prompt: a short preamble that tells it who it is, then the task's description. */
export function taskPrompt(task: { id: number; slug: string; description: string }, branch: string): string {
  return [
    `You are working on Orchestra task ${task.id}:${task.slug}, in your own git worktree on branch ${branch}.`,
    `When the task is done, commit your work and mark the task completed by running \`orchestra complete ${task.id}\`.`,
    '',
    task.description.trim(),
    '',
  ].join('\n');
}

/**
 * Replaces each placeholder with a reference to its variable, written for the quoting it
 * stands in (`"{prompt}"`, `'{prompt}'` and bare `{prompt}` all expand to the value, whole).
 */
export function shellTemplate(template: string): string {
  let out = '';
  let quote: '' | "'" | '"' = '';
  for (let i = 0; i < template.length; i++) {
    const placeholder = /^\{(prompt|prompt_file|task_id|slug|worktree)\}/.exec(template.slice(i));
    if (placeholder) {
      const ref = `\${${PLACEHOLDER_VARS[placeholder[1] as keyof Placeholders]}}`;
      out += quote === '"' ? ref : quote === "'" ? `'"${ref}"'` : `"${ref}"`;
      i += placeholder[0].length - 1;
      continue;
    }
    const c = template[i]!;
    if (c === '\\' && quote !== "'") {
      out += c + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if ((c === '"' || c === "'") && (quote === '' || quote === c)) quote = quote === c ? '' : c;
    out += c;
  }
  return out;
}

/** Refuses to start a holder for a program that is not there, with what to do about it. */
function assertExecutable(program: string, profile: AgentProfile, env: Record<string, string>): void {
  if (findExecutable(program, env.PATH ?? '')) return;
  const install = (BUILT_IN_PROFILES[profile.name as BuiltInAgent] as BuiltInProfile | undefined)?.install;
  const fix = install ? `install it (${install})` : `install it or fix agents.${profile.name}.command in the config`;
  throw new OrchestraError(
    `The agent profile '${profile.name}' runs '${program}', which is not installed or not on PATH; ${fix}, or start with another agent (--agent demo needs nothing installed).`,
  );
}

function findExecutable(program: string, path: string): boolean {
  const candidates = program.includes('/') ? [program] : path.split(delimiter).filter((dir) => isAbsolute(dir)).map((dir) => join(dir, program));
  return candidates.some((file) => mayAccess(file, constants.X_OK));
}
