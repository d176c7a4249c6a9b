import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { ACTIVITIES } from '../../protocol/holder.js';
import { OrchestraError } from './errors.js';
import { yamlErrorReason } from './yaml-error.js';
import { backtrackingRisk } from './regex-risk.js';
import { BUILT_IN_AGENTS } from './agents/registry.js';

/**
 * Configuration (DESIGN.md §3): the project's `.orchestra/config.yaml` over the user's
 * `config.yaml` over built-in defaults. Every file is validated on its own so that an error
 * names the file and the key; unknown keys are errors, because a misspelt key that is
 * silently ignored is worse than a refusal.
 */

const text = z.string({ error: 'must be text' });
const command = z.union([text, z.array(text, { error: 'must be a list of words' }).min(1, 'must not be empty')], {
  error: 'must be a command: a list of words such as [aider, --yes], or one string',
});

const regex = text.refine(
  (source) => {
    try {
      new RegExp(source, 'm');
      return true;
    } catch {
      return false;
    }
  },
  { error: (issue) => `is not a valid regular expression (${regexError(issue.input)})` },
);
/** A screen pattern: valid, and of a shape that cannot freeze the holder that runs it (regex-risk.ts). */
const screenRegex = regex.refine((source) => backtrackingRisk(source) === undefined, {
  error: (issue) => `is refused: ${backtrackingRisk(String(issue.input))}; write it without a repeated group that repeats inside`,
});

/** A pattern on an agent's screen and what it means (fallback status detection, DESIGN.md §5). */
const ScreenPatternSchema = z.strictObject(
  {
    match: screenRegex,
    status: z.enum(ACTIVITIES, { error: `must be one of ${ACTIVITIES.join(', ')}` }),
    reason: text.optional(),
  },
  { error: unknownKeys },
);

const AgentProfileSchema = z.strictObject(
  {
    command: command.optional(),
    resume: command.optional(),
    env: z.record(z.string(), text, { error: 'must be a mapping of NAME: value' }).optional(),
    idle_after: z.number({ error: 'must be a number of seconds' }).positive('must be more than 0').optional(),
    patterns: z.array(ScreenPatternSchema, { error: 'must be a list of { match, status, reason }' }).optional(),
    mcp: z.boolean({ error: 'must be true or false' }).optional(),
    trust_worktree: z.boolean({ error: 'must be true or false' }).optional(),
  },
  { error: unknownKeys },
);

/** When to run a command of the user's about a task (a desktop notification, a chat message). */
export const NOTIFY_EVENTS = ['waiting', 'idle'] as const;
const NotifySchema = z.strictObject(
  {
    command,
    on: z.array(z.enum(NOTIFY_EVENTS, { error: `must be one of ${NOTIFY_EVENTS.join(', ')}` }), { error: 'must be a list' }).optional(),
  },
  { error: unknownKeys },
);

const ConfigFileSchema = z.strictObject(
  {
    agent: text.optional(),
    detach_key: text.optional(),
    worktree_dir: text.optional(),
    branch_prefix: text.optional(),
    setup: z
      .strictObject(
        {
          script: text.optional(),
          timeout: z.number({ error: 'must be a number of seconds' }).positive('must be more than 0').optional(),
        },
        { error: unknownKeys },
      )
      .optional(),
    agents: z.record(z.string(), AgentProfileSchema, { error: 'must be a mapping of profile names to profiles' }).optional(),
    notify: NotifySchema.optional(),
  },
  { error: unknownKeys },
);

/** A configuration file that cannot be used; `file` names it. */
export class ConfigError extends OrchestraError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

export type AgentProfileConfig = z.infer<typeof AgentProfileSchema>;
export type NotifyConfig = z.infer<typeof NotifySchema>;
type ConfigFile = z.infer<typeof ConfigFileSchema>;

export interface Config {
  agent: string;
  detach_key: string;
  worktree_dir: string | undefined;
  branch_prefix: string;
  setup: { script: string; timeout: number };
  agents: Record<string, AgentProfileConfig>;
  notify: NotifyConfig | undefined;
}

/** The agents Orchestra ships (src/core/agents/): config may adjust them but need not define them. */
const BUILT_IN_NAMES = BUILT_IN_AGENTS.map((agent) => agent.name);

export const DEFAULT_CONFIG: Config = {
  agent: 'opencode',
  detach_key: 'ctrl-\\',
  worktree_dir: undefined,
  branch_prefix: 'orchestra/',
  setup: { script: '.orchestra/setup.sh', timeout: 600 },
  agents: {},
  notify: undefined,
};

export function projectConfigPath(projectRoot: string): string {
  return join(projectRoot, '.orchestra', 'config.yaml');
}

export function userConfigPath(configDir: string): string {
  return join(configDir, 'config.yaml');
}

/** The effective configuration of a project. Throws an OrchestraError that names the file and key at fault. */
export function loadConfig(projectRoot: string, configDir: string): Config {
  const files = [userConfigPath(configDir), projectConfigPath(projectRoot)];
  let config = DEFAULT_CONFIG;
  for (const file of files) {
    const layer = readConfigFile(file);
    if (layer) config = mergeConfig(config, layer);
  }
  for (const [name, profile] of Object.entries(config.agents)) {
    if (!BUILT_IN_NAMES.includes(name) && profile.command === undefined) {
      throw new ConfigError(files[1]!, `Agent profile '${name}' has no command; add 'command: [program, args…]' under agents.${name} in ${files.join(' or ')}.`);
    }
  }
  return config;
}

/** Names of every agent profile the config allows: built-ins plus the configured ones. */
export function agentNames(config: Config): string[] {
  return [...new Set([...BUILT_IN_NAMES, ...Object.keys(config.agents)])];
}

function readConfigFile(file: string): ConfigFile | undefined {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(file, `Cannot read ${file}: ${(error as Error).message}.`);
  }
  const doc = YAML.parseDocument(source);
  if (doc.errors.length > 0) {
    throw new ConfigError(file, `${file} is not valid YAML at ${yamlErrorReason(doc.errors[0])}.`);
  }
  const data = doc.toJS() ?? {};
  const result = ConfigFileSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = issue.path.join('.');
    throw new ConfigError(file, `${file}: ${key ? `${key} ${issue.message}` : issue.message}.`);
  }
  return result.data;
}

function mergeConfig(base: Config, layer: ConfigFile): Config {
  const agents = { ...base.agents };
  for (const [name, profile] of Object.entries(layer.agents ?? {})) {
    agents[name] = { ...agents[name], ...profile, env: { ...agents[name]?.env, ...profile.env } };
  }
  return {
    agent: layer.agent ?? base.agent,
    detach_key: layer.detach_key ?? base.detach_key,
    worktree_dir: layer.worktree_dir ?? base.worktree_dir,
    branch_prefix: layer.branch_prefix ?? base.branch_prefix,
    setup: { ...base.setup, ...layer.setup },
    agents,
    notify: layer.notify ?? base.notify,
  };
}

function regexError(source: unknown): string {
  try {
    new RegExp(String(source), 'm');
    return 'unknown error';
  } catch (error) {
    return (error as Error).message;
  }
}

function unknownKeys(issue: { code?: string; keys?: string[]; input?: unknown }): string {
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    const keys = issue.keys.map((k) => `'${k}'`).join(', ');
    return `has unknown key${issue.keys.length > 1 ? 's' : ''} ${keys} (see the README's configuration section)`;
  }
  return 'must be a mapping of key: value';
}

/** The commented config `orchestra init` writes. */
export const CONFIG_TEMPLATE = `# Orchestra project configuration. Every key is optional: the values shown are the
# defaults. User-wide settings live in ~/.config/orchestra/config.yaml; this file wins.

# Agent profile for new tasks: opencode, claude, demo (built in, needs nothing installed),
# or a profile defined under "agents".
# agent: opencode

# Key that detaches "orchestra attach" from an agent's terminal; "none" turns it off.
# detach_key: ctrl-\\

# Where task worktrees go; placeholders {repo}, {id}, {slug}. By default they live under
# ~/.local/share/orchestra/worktrees/, outside the repository.
# worktree_dir: ~/src/wt/{repo}/{id}-{slug}

# Prefix of task branches: task 3:fix-tests works on orchestra/3-fix-tests.
# branch_prefix: orchestra/

# Script run in every new worktree before its agent starts, and its time limit in seconds.
# setup:
#   script: .orchestra/setup.sh
#   timeout: 600

# Agent profiles. opencode, claude and demo are built in; any terminal program can be added.
# Placeholders: {prompt}, {prompt_file}, {task_id}, {slug}, {worktree}.
# agents:
#   aider:
#     command: [aider, --message-file, "{prompt_file}"]
#     resume: [aider, --restore-chat-history]
#     env: { AIDER_AUTO_COMMITS: "false" }
#     idle_after: 3   # seconds of unchanged screen that count as idle
#     patterns:       # what the screen says, where it helps (regular expressions)
#       - { match: "esc to interrupt", status: running }
#       - { match: "\\(y/n\\)", status: waiting, reason: "a yes/no question" }
#   claude:
#     trust_worktree: false   # do not carry the main checkout's folder trust over to worktrees

# A command run when an agent starts waiting for a person (and, with "idle", when it
# finishes a turn); it gets ORCHESTRA_TASK_REF, ORCHESTRA_WAITING and more (README).
# notify:
#   command: 'notify-send "Orchestra $ORCHESTRA_TASK_REF" "waits for $ORCHESTRA_WAITING"'
#   on: [waiting]
`;

/** The setup script template `orchestra init` writes. */
export const SETUP_TEMPLATE = `#!/usr/bin/env bash
# Runs in every new task worktree before the agent starts ("orchestra start").
# The working directory is the new worktree. Variables you can use:
#   ORCHESTRA_TASK_ID  ORCHESTRA_TASK_SLUG  ORCHESTRA_TASK_FILE  ORCHESTRA_WORKTREE
#   ORCHESTRA_BRANCH   ORCHESTRA_BASE_BRANCH  ORCHESTRA_PROJECT_ROOT  ORCHESTRA_AGENT
# A non-zero exit stops the start; the output is kept in the task's log ("orchestra logs").
set -euo pipefail

# Examples:
# npm ci
# cp "$ORCHESTRA_PROJECT_ROOT/.env" .env
`;
