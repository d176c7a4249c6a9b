import type { ScreenPattern } from '../../../protocol/holder.js';
import { type AgentEvent, type AgentModule, DETAIL_MAX, firstQuestion, idle, oneLine, type Payload, question, running, shellQuote, text, waiting } from './agent.js';

/**
 * Claude Code (tested: the version in package.json's devDependencies; README.md, "Agents and
 * versions"). It reports through hooks Orchestra passes with --settings, which Claude Code
 * merges over the user's settings files without touching them; its screen tells what no hook
 * does (its dialogs); it gets Orchestra's MCP server with --mcp-config; and a worktree gets the
 * folder trust of the main checkout (claude-trust.ts, done for every profile with
 * trust_worktree, which this one sets by default).
 */

/** Claude Code's notifications that mean a person is needed; others (auth_success …) change nothing. */
const WAITING_NOTIFICATIONS = new Set(['permission_prompt', 'idle_prompt', 'elicitation_dialog', 'elicitation_url_dialog', 'agent_needs_input', 'worker_permission_prompt']);

/**
 * Of a tool call's input, what says what the call does, by the names Claude Code's tools
 * give it, in order of preference (a Bash call's command before its description).
 */
const TOOL_DETAILS = ['command', 'file_path', 'notebook_path', 'path', 'url', 'query', 'pattern', 'description'];

/** The part of a tool call's input that goes to the daemon: its details, and its questions' text. */
export function keptToolInput(input: unknown): Payload | undefined {
  if (!input || typeof input !== 'object') return undefined;
  const given = input as Payload;
  const kept: Payload = {};
  for (const key of TOOL_DETAILS) if (typeof given[key] === 'string') kept[key] = given[key].slice(0, DETAIL_MAX);
  const questions = firstQuestion(given.questions);
  if (questions) kept.questions = questions;
  return kept;
}

/** What a person is asked about a tool call: "permission to use Bash: npm test", or the question it asks. */
function toolCallWait(data: Payload): string {
  const tool = text(data.tool_name) ?? 'a tool';
  const input = (data.tool_input && typeof data.tool_input === 'object' ? data.tool_input : {}) as Payload;
  if (tool === 'AskUserQuestion') return question(input.questions);
  const detail = TOOL_DETAILS.map((key) => text(input[key])).find((value) => value !== undefined);
  return oneLine(`permission to use ${tool}${detail ? `: ${detail}` : ''}`);
}

/** The fields of a hook's JSON that name a tool call. */
const TOOL_CALL = { tool_name: true, tool_input: keptToolInput } as const;

const EVENTS: Record<string, AgentEvent> = {
  UserPromptSubmit: { read: () => running('prompt') },
  PreToolUse: { read: (data) => ({ ...running('tool'), toolCall: toolCallWait(data) }), fields: TOOL_CALL },
  PostToolUse: { read: () => running('resume') },
  // Also a call cut short (is_interrupt), which is not always an end: "send now" cuts one and
  // goes on with the new message. An Esc shows on the screen.
  PostToolUseFailure: { read: () => running('resume') },
  // Auto mode's check refused a call: Claude Code goes on without it.
  PermissionDenied: { read: () => running('resume') },
  Stop: { read: () => idle('stop') },
  // Sub-agents, which 2.1.332 runs in the background: its turn may end (Stop) while they work.
  SubagentStart: { read: (data) => ({ ...running('spawn'), subagent: text(data.agent_id) ?? '' }), fields: { agent_id: true } },
  SubagentStop: { read: (data) => ({ ...running('join'), subagent: text(data.agent_id) ?? '' }), fields: { agent_id: true } },
  PermissionRequest: { read: (data) => waiting(toolCallWait(data), 'ask'), fields: TOOL_CALL },
  Notification: {
    read: (data) => {
      const type = text(data.notification_type);
      if (type !== undefined && !WAITING_NOTIFICATIONS.has(type)) return null;
      return waiting(text(data.message) ?? 'an answer', 'notice');
    },
    fields: { notification_type: true, message: true },
  },
};

/**
 * What Claude Code's screen shows that its hooks do not say, or say late (README.md,
 * "Claude Code"): the trust question, asked before any hook runs; its permission dialogs
 * ("Do you want to proceed?" over a Yes/No menu), whose leaving the screen is all there is
 * to see of an Esc; auto mode's dialog when its safety check cannot run (behind a gateway
 * that does not pass it through), which fires no permission hook and only a late
 * notification; and the offer to make auto mode the default, shown after a turn to those
 * whose settings choose another mode, which takes whatever is typed next. A wait the screen
 * shows during a tool call is named after that call. And the end of a turn no hook reports:
 * Esc prints "Interrupted" under the reply or tool call it cut short, at once; it counts while
 * nothing but blank lines (and the right-aligned effort indicator) stand between it and the
 * input box, since it stays in the transcript once the next turn begins.
 */
const PATTERNS: ScreenPattern[] = [
  { match: 'Do you trust the files in this folder\\?|Is this a project you created or one you trust\\?', status: 'waiting', reason: 'an answer to whether to trust the folder' },
  { match: '^ *Do you want to [^\\n]*\\?\\n(?: *\\n)? *(?:❯ *)?(?:1\\. )?(?:Yes|No)\\b', status: 'waiting', reason: 'permission to use a tool' },
  { match: 'Enter to stay in auto mode', status: 'waiting', reason: "a choice: auto mode can't check actions in this session" },
  { match: '^ *Make auto mode your default permission mode\\?', status: 'waiting', reason: 'a choice: whether to make auto mode the default permission mode' },
  { match: '^ *⎿[ \\u00a0]+Interrupted · What should Claude do instead\\?[ \\u00a0]*\\n(?: *\\n| {20,}\\S[^\\n]*\\n){0,200}─{8,}', status: 'idle' },
];

export const claude: AgentModule = {
  name: 'claude',
  command: ['claude', '{prompt}'],
  resume: ['claude', '--continue'],
  env: {},
  // Its screen counts only for a turn no hook ended (Esc): Claude Code animates its spinner
  // while it works, thinks or runs a silent command, so a second of stillness is an end
  // (bench/status-accuracy.ts: Esc was idle 3.4 s late with 3).
  idle_after: 1,
  install: 'npm install -g @anthropic-ai/claude-code',
  patterns: PATTERNS,
  events: EVENTS,
  // Allowed up front, so that the agent's calls to Orchestra never wait for a person's permission.
  mcp: (server) => ({
    args: [
      '--mcp-config',
      JSON.stringify({ mcpServers: { orchestra: { type: 'stdio', command: server.command[0], args: server.command.slice(1), env: server.env } } }),
      '--allowedTools',
      'mcp__orchestra__*',
    ],
  }),
  // In the background (async), so that no tool call waits for Node to start: each report
  // carries the moment its hook started, and the daemon puts late ones in order.
  hooks: (hook) => {
    const command = (event: string) => [...hook, event].map(shellQuote).join(' ');
    const hooks = Object.fromEntries(Object.keys(EVENTS).map((event) => [event, [{ hooks: [{ type: 'command', command: command(event), async: true }] }]]));
    return { args: ['--settings', JSON.stringify({ hooks })] };
  },
  trustsWorktree: true,
};
