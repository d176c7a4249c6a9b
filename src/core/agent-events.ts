import type { Activity } from '../../protocol/holder.js';
import { closestMatches } from './fuzzy.js';
import { UsageError } from './errors.js';

/**
 * What agents report about themselves (DESIGN.md §5), through `orchestra hook <event>`:
 * Claude Code's hooks, the events Orchestra's OpenCode plugin passes on, and three plain
 * states for any other tool. Each event, with the JSON the agent gave it, says whether the
 * agent works, has finished its turn, or waits for a person.
 */

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
}

type Payload = Record<string, unknown>;
type Verdict = { state: Activity; reason: string } | null;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? oneLine(value) : undefined);
const running: Verdict = { state: 'running', reason: '' };
const idle: Verdict = { state: 'idle', reason: '' };
const waiting = (reason: string): Verdict => ({ state: 'waiting', reason });

/** Claude Code's notifications that mean a person is needed; others (auth_success …) change nothing. */
const CLAUDE_WAITING_NOTIFICATIONS = new Set(['permission_prompt', 'idle_prompt', 'elicitation_dialog']);

const EVENTS: Record<string, (data: Payload) => Verdict> = {
  // Plain states, for any tool a user wires up.
  running: () => running,
  idle: () => idle,
  waiting: (data) => waiting(text(data.reason) ?? text(data.message) ?? 'an answer'),

  // Claude Code hooks (passed with --settings when Orchestra starts it).
  UserPromptSubmit: () => running,
  PreToolUse: () => running,
  PostToolUse: () => running,
  Stop: () => idle,
  PermissionRequest: (data) => waiting(`permission to use ${text(data.tool_name) ?? 'a tool'}`),
  Notification: (data) => {
    const type = text(data.notification_type);
    if (type !== undefined && !CLAUDE_WAITING_NOTIFICATIONS.has(type)) return null;
    return waiting(text(data.message) ?? 'an answer');
  },

  // OpenCode events, as Orchestra's plugin passes them on (their `properties`).
  'session.status': (data) => {
    const type = (data.status as { type?: unknown } | undefined)?.type;
    return type === 'idle' ? idle : type === 'busy' || type === 'retry' ? running : null;
  },
  'permission.asked': (data) => {
    const patterns = Array.isArray(data.patterns) ? data.patterns.filter((p) => typeof p === 'string') : [];
    return waiting(`permission: ${[text(data.permission) ?? 'a tool', ...patterns].join(' ')}`);
  },
  'permission.replied': () => running,
  'question.asked': (data) => {
    const first = Array.isArray(data.questions) ? (data.questions[0] as { question?: unknown } | undefined) : undefined;
    return waiting(`an answer to: ${text(first?.question) ?? 'a question'}`);
  },
  'question.replied': () => running,
  'question.rejected': () => running,
};

export const HOOK_EVENTS = Object.keys(EVENTS);

/**
 * The verdict an agent's event carries; null for an event that says nothing about whether
 * the agent works (a notification that a login succeeded). Unknown events are refused.
 */
export function reportFromEvent(event: string, data: Payload, at?: number): ActivityReport | null {
  const verdict = Object.hasOwn(EVENTS, event) ? EVENTS[event]!(data) : unknownEvent(event);
  return verdict && { ...verdict, cause: `hook ${event}`, source: 'agent', ...(at !== undefined ? { at } : {}) };
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
