import type { Activity } from '../../protocol/holder.js';
import { closestMatches } from './fuzzy.js';
import { UsageError } from './errors.js';

/**
 * What agents report about themselves (DESIGN.md §5), through `orchestra hook <event>`:
 * Claude Code's hooks, the events Orchestra's OpenCode plugin passes on, and three plain
 * states for any other tool. Each event, with the JSON the agent gave it, says whether the
 * agent works, has finished its turn, or waits for a person.
 */

/**
 * What an agent's report means for the order of its turn (DESIGN.md §5), beyond the state it
 * names. Hooks run side by side and reach the daemon in any order; what they mean puts them
 * back in order:
 * - `prompt`: a person's prompt starts a turn (the one report that reopens a completed task);
 * - `tool`: a tool call starts (it never ends a wait: the permission request for that very
 *   call may overtake it);
 * - `ask`: the agent asks a person something it names (permission for a tool call, a question);
 * - `notice`: the agent says in general words that it needs a person (its words count only
 *   where nothing better is known);
 * - `resume`: the agent goes on after a tool call or an answer;
 * - `work`: the agent works, within a turn;
 * - `stop`: the turn has ended.
 */
export type Meaning = 'prompt' | 'tool' | 'ask' | 'notice' | 'resume' | 'work' | 'stop';

/** A verdict on what an agent does, from the agent itself or from its screen. */
export interface ActivityReport {
  state: Activity;
  /** For `waiting`: what the agent waits for, in words for the user. */
  reason: string;
  /** Why, for the task's log: "hook Stop", "the screen has not changed for 3 s". */
  cause: string;
  /** The agent's own reports outrank what its screen suggests. */
  source: 'agent' | 'screen';
  /** When the agent reported it (ms since the epoch), where known: a report older than one already taken is stale. */
  at?: number;
  /** For the agent's own reports of known events: what it means for the order of a turn. */
  meaning?: Meaning;
  /** For a tool call that starts: what a wait for it would be, should one come without naming it. */
  toolCall?: string;
}

type Payload = Record<string, unknown>;
type Reading = { state: Activity; reason: string; meaning?: Meaning; toolCall?: string } | null;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? oneLine(value) : undefined);
const running = (meaning?: Meaning): Reading => ({ state: 'running', reason: '', ...(meaning ? { meaning } : {}) });
const idle = (meaning?: Meaning): Reading => ({ state: 'idle', reason: '', ...(meaning ? { meaning } : {}) });
const waiting = (reason: string, meaning?: Meaning): Reading => ({ state: 'waiting', reason, ...(meaning ? { meaning } : {}) });

/** Claude Code's notifications that mean a person is needed; others (auth_success …) change nothing. */
const CLAUDE_WAITING_NOTIFICATIONS = new Set(['permission_prompt', 'idle_prompt', 'elicitation_dialog', 'elicitation_url_dialog', 'agent_needs_input', 'worker_permission_prompt']);

/**
 * Of a tool call's input, what says what the call does, by the names Claude Code's tools
 * give it, in order of preference (a Bash call's command before its description). Only these
 * go from the hook to the daemon; the rest (a file's new content) stays in the agent.
 */
const TOOL_DETAILS = ['command', 'file_path', 'notebook_path', 'path', 'url', 'query', 'pattern', 'description'];
/** A detail longer than this is cut before it is sent: the task file shows one short line of it. */
const TOOL_DETAIL_MAX = 500;

/** The part of a tool call's input that `orchestra hook` passes on: its details, and its questions' text. */
export function keptToolInput(input: unknown): Payload | undefined {
  if (!input || typeof input !== 'object') return undefined;
  const given = input as Payload;
  const kept: Payload = {};
  for (const key of TOOL_DETAILS) if (typeof given[key] === 'string') kept[key] = given[key].slice(0, TOOL_DETAIL_MAX);
  if (Array.isArray(given.questions)) kept.questions = given.questions.slice(0, 1).map((q) => ({ question: String((q as Payload | null)?.question ?? '').slice(0, TOOL_DETAIL_MAX) }));
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

function question(questions: unknown): string {
  const first = Array.isArray(questions) ? (questions[0] as { question?: unknown } | undefined) : undefined;
  return oneLine(`an answer to: ${text(first?.question) ?? 'a question'}`);
}

const EVENTS: Record<string, (data: Payload) => Reading> = {
  // Plain states, for any tool a user wires up.
  running: () => running(),
  idle: () => idle(),
  waiting: (data) => waiting(text(data.reason) ?? text(data.message) ?? 'an answer'),

  // Claude Code hooks (passed with --settings when Orchestra starts it).
  UserPromptSubmit: () => running('prompt'),
  PreToolUse: (data) => ({ ...running('tool')!, toolCall: toolCallWait(data) }),
  PostToolUse: () => running('resume'),
  PostToolUseFailure: () => running('resume'),
  // Auto mode's check refused a call: Claude Code goes on without it.
  PermissionDenied: () => running('resume'),
  Stop: () => idle('stop'),
  PermissionRequest: (data) => waiting(toolCallWait(data), 'ask'),
  Notification: (data) => {
    const type = text(data.notification_type);
    if (type !== undefined && !CLAUDE_WAITING_NOTIFICATIONS.has(type)) return null;
    return waiting(text(data.message) ?? 'an answer', 'notice');
  },

  // OpenCode events, as Orchestra's plugin passes them on (their `properties`).
  'message.updated': (data) => ((data.info as { role?: unknown } | undefined)?.role === 'user' ? running('prompt') : null),
  'session.status': (data) => {
    const type = (data.status as { type?: unknown } | undefined)?.type;
    return type === 'idle' ? idle('stop') : type === 'busy' || type === 'retry' ? running('work') : null;
  },
  'permission.asked': (data) => {
    const patterns = Array.isArray(data.patterns) ? data.patterns.filter((p) => typeof p === 'string') : [];
    return waiting(oneLine(`permission to use ${text(data.permission) ?? 'a tool'}${patterns.length > 0 ? `: ${patterns.join(' ')}` : ''}`), 'ask');
  },
  'permission.replied': () => running('resume'),
  'question.asked': (data) => waiting(question(data.questions), 'ask'),
  'question.replied': () => running('resume'),
  'question.rejected': () => running('resume'),
};

export const HOOK_EVENTS = Object.keys(EVENTS);

/**
 * The verdict an agent's event carries; null for an event that says nothing about whether
 * the agent works (a notification that a login succeeded). Unknown events are refused.
 */
export function reportFromEvent(event: string, data: Payload, at?: number): ActivityReport | null {
  const reading = Object.hasOwn(EVENTS, event) ? EVENTS[event]!(data) : unknownEvent(event);
  return reading && { ...reading, cause: `hook ${event}`, source: 'agent', ...(at !== undefined ? { at } : {}) };
}

/** Refuses an event orchestra hook does not know, naming the close ones. */
export function assertKnownEvent(event: string): void {
  if (!Object.hasOwn(EVENTS, event)) unknownEvent(event);
}

function unknownEvent(event: string): never {
  const close = closestMatches(event, HOOK_EVENTS);
  const hint = close.length > 0 ? ` (did you mean ${close.join(' or ')}?)` : '';
  throw new UsageError(`'${event}' is not an event orchestra hook knows${hint}; use running, idle or waiting, or one of ${HOOK_EVENTS.slice(3).join(', ')}.`);
}

/** Agents' messages can be long and span lines; the task file and the log take one short line. */
function oneLine(value: string): string {
  const line = value.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
