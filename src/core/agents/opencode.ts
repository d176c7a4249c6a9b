import { type AgentEvent, type AgentModule, DETAIL_MAX, firstQuestion, idle, oneLine, question, running, text, waiting } from './agent.js';
import { prepareOpenCode } from './opencode-deps.js';

/**
 * OpenCode (tested: the version in package.json's devDependencies). It reports through
 * Orchestra's plugin (src/hooks/opencode-plugin.ts), which passes on the events below, and
 * gets Orchestra's MCP server, both through OPENCODE_CONFIG_CONTENT, which OpenCode merges over
 * its config files: the user's own files stay untouched. Its worktree gets the plugin's
 * dependencies before it starts (opencode-deps.ts). Its screen shows nothing the plugin does
 * not report.
 */

/** Orchestra's plugin, as OpenCode loads it. */
const PLUGIN = new URL('../../hooks/opencode-plugin.js', import.meta.url).href;

/** OpenCode's events, as the plugin passes them on (their `properties`). */
export const OPENCODE_EVENTS: Record<string, AgentEvent> = {
  // A person's message to the top-level session (the plugin passes each on once): a new turn.
  'message.updated': {
    read: (data) => ((data.info as { role?: unknown } | undefined)?.role === 'user' ? running('prompt') : null),
    fields: { info: (info) => ({ role: (info as { role?: unknown } | null)?.role }) },
  },
  'session.status': {
    read: (data) => {
      const type = (data.status as { type?: unknown } | undefined)?.type;
      return type === 'idle' ? idle('stop') : type === 'busy' || type === 'retry' ? running('work') : null;
    },
    fields: { status: (status) => ({ type: (status as { type?: unknown } | null)?.type }) },
  },
  'permission.asked': {
    read: (data) => {
      const patterns = Array.isArray(data.patterns) ? data.patterns.filter((p) => typeof p === 'string') : [];
      return waiting(oneLine(`permission to use ${text(data.permission) ?? 'a tool'}${patterns.length > 0 ? `: ${patterns.join(' ')}` : ''}`), 'ask');
    },
    fields: { permission: true, patterns: (patterns) => (Array.isArray(patterns) ? patterns.slice(0, 20).map((p) => String(p).slice(0, DETAIL_MAX)) : undefined) },
  },
  'permission.replied': { read: () => running('resume') },
  'question.asked': { read: (data) => waiting(question(data.questions), 'ask'), fields: { questions: firstQuestion } },
  'question.replied': { read: () => running('resume') },
  'question.rejected': { read: () => running('resume') },
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

export const opencode: AgentModule = {
  name: 'opencode',
  command: ['opencode', '--prompt', '{prompt}'],
  resume: ['opencode', '--continue'],
  env: {},
  idle_after: 3,
  install: 'npm install -g opencode-ai',
  patterns: [],
  events: OPENCODE_EVENTS,
  prepare: ({ root, worktree, env }) => prepareOpenCode(root, worktree, env),
  mcp: (server, env) => {
    const content = parseObject(env.OPENCODE_CONFIG_CONTENT);
    const theirs = content.mcp && typeof content.mcp === 'object' ? content.mcp : {};
    const mcp = { ...theirs, orchestra: { type: 'local', command: server.command, environment: server.env, enabled: true } };
    return { env: { OPENCODE_CONFIG_CONTENT: JSON.stringify({ ...content, mcp }) } };
  },
  // Added to the user's plugin list; it reports to the daemon at ORCHESTRA_SOCKET, as `orchestra hook` would.
  hooks: (_hook, env) => {
    const content = parseObject(env.OPENCODE_CONFIG_CONTENT);
    const plugins = Array.isArray(content.plugin) ? content.plugin : [];
    return { env: { OPENCODE_CONFIG_CONTENT: JSON.stringify({ ...content, plugin: [...plugins, PLUGIN] }) } };
  },
};
