import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentNames, type AgentProfileConfig, type BuiltInAgent, type Config } from './config.js';
import { OrchestraError, UsageError } from './errors.js';
import { closestMatches } from './fuzzy.js';

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
  /** Give the agent Orchestra's MCP server (built-in profiles that know how). */
  mcp: boolean;
}

/**
 * How a built-in profile hands its agent Orchestra's MCP server: arguments after the
 * command's (last, since Claude Code's list options would take a prompt after them as one
 * more value), and environment.
 */
type McpWiring = (server: McpServerSpec, env: Record<string, string>) => { args?: string[]; env?: Record<string, string> };

/** `orchestra mcp`, as an agent runs it: with the variables that scope it to the task. */
export interface McpServerSpec {
  command: string[];
  env: Record<string, string>;
}

/** The demo agent shipped with Orchestra: needs nothing installed (`orchestra demo`, tests). */
export const DEMO_AGENT_SCRIPT = fileURLToPath(new URL('../demo/demo-agent.js', import.meta.url));

const CLI_MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));
/** What scopes `orchestra mcp` to the agent's task and Orchestra's home; agents do not pass their environment on to MCP servers. */
const MCP_SCOPE = ['ORCHESTRA_HOME', 'ORCHESTRA_PROJECT_ROOT', 'ORCHESTRA_TASK_ID'];

const BUILT_IN_PROFILES: Record<BuiltInAgent, Omit<AgentProfile, 'name' | 'mcp'> & { install: string; mcp?: McpWiring }> = {
  opencode: {
    command: ['opencode', '--prompt', '{prompt}'],
    resume: ['opencode', '--continue'],
    env: {},
    idle_after: 3,
    install: 'npm install -g opencode-ai',
    // OpenCode merges OPENCODE_CONFIG_CONTENT over its config files; the user's own files stay untouched.
    mcp: (server, env) => {
      const content = parseObject(env.OPENCODE_CONFIG_CONTENT);
      const theirs = content.mcp && typeof content.mcp === 'object' ? content.mcp : {};
      const mcp = { ...theirs, orchestra: { type: 'local', command: server.command, environment: server.env, enabled: true } };
      return { env: { OPENCODE_CONFIG_CONTENT: JSON.stringify({ ...content, mcp }) } };
    },
  },
  claude: {
    command: ['claude', '{prompt}'],
    resume: ['claude', '--continue'],
    env: {},
    idle_after: 3,
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
  },
  demo: {
    command: [process.execPath, DEMO_AGENT_SCRIPT, '--prompt-file', '{prompt_file}'],
    resume: [process.execPath, DEMO_AGENT_SCRIPT, '--continue', '--prompt-file', '{prompt_file}'],
    env: {},
    idle_after: 2,
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
  const builtIn = BUILT_IN_PROFILES[name as BuiltInAgent] as (typeof BUILT_IN_PROFILES)[BuiltInAgent] | undefined;
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
    mcp: configured.mcp ?? (builtIn?.mcp !== undefined),
  };
}

export interface AgentInvocation {
  argv: string[];
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
  const argv =
    typeof template === 'string'
      ? ['/bin/sh', '-c', shellTemplate(template)]
      : template.map((word) => word.replace(PLACEHOLDER, (_, key: keyof Placeholders) => values[key]));
  assertExecutable(argv[0]!, profile, env);
  const vars = Object.fromEntries(Object.entries(PLACEHOLDER_VARS).map(([key, name]) => [name, values[key as keyof Placeholders]]));
  // A command given as a shell string is the user's own: arguments cannot be slipped into it.
  const wiring = profile.mcp && typeof template !== 'string' ? BUILT_IN_PROFILES[profile.name as BuiltInAgent]?.mcp : undefined;
  if (!wiring) return { argv, env: vars, resumed };
  const server = { command: [process.execPath, CLI_MAIN, 'mcp'], env: Object.fromEntries(MCP_SCOPE.filter((name) => env[name] !== undefined).map((name) => [name, env[name]!])) };
  const added = wiring(server, env);
  return { argv: [...argv, ...(added.args ?? [])], env: { ...vars, ...added.env }, resumed };
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
  const install = (BUILT_IN_PROFILES[profile.name as BuiltInAgent] as { install: string } | undefined)?.install;
  const fix = install ? `install it (${install})` : `install it or fix agents.${profile.name}.command in the config`;
  throw new OrchestraError(
    `The agent profile '${profile.name}' runs '${program}', which is not installed or not on PATH; ${fix}, or start with another agent (--agent demo needs nothing installed).`,
  );
}

function findExecutable(program: string, path: string): boolean {
  const candidates = program.includes('/') ? [program] : path.split(delimiter).filter((dir) => isAbsolute(dir)).map((dir) => join(dir, program));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
