import type { Activity } from '../../protocol/holder.js';
import { keptFields, type Meaning, type Payload } from './agents/agent.js';
import { agentEvent, BUILT_IN_AGENTS, HOOK_EVENTS, PLAIN_EVENT_NAMES } from './agents/registry.js';
import { closestMatches } from './fuzzy.js';
import { UsageError } from './errors.js';

/**
 * What agents report about themselves (DESIGN.md §5), through `orchestra hook <event>` or
 * Orchestra's OpenCode plugin: each event, with the JSON the agent gave it, says whether the
 * agent works, has finished its turn, or waits for a person. Each agent's module in
 * src/core/agents/ says what its events mean.
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
  /** For the screen's: it shows this in words (a pattern), rather than seeming still or busy. */
  shown?: true;
  /** When the agent reported it (ms since the epoch), where known: a report older than one already taken is stale. */
  at?: number;
  /** For the agent's own reports of known events: what it means for the order of a turn. */
  meaning?: Meaning;
  /** For a tool call that starts: what a wait for it would be, should one come without naming it. */
  toolCall?: string;
  /** For a sub-agent's start or end: which one. */
  subagent?: string;
}

/**
 * The verdict an agent's event carries; null for an event that says nothing about whether
 * the agent works (a notification that a login succeeded). Unknown events are refused.
 */
export function reportFromEvent(event: string, data: Payload, at?: number): ActivityReport | null {
  const reading = (agentEvent(event) ?? unknownEvent(event)).read(data);
  return reading && { ...reading, cause: `hook ${event}`, source: 'agent', ...(at !== undefined ? { at } : {}) };
}

/** Of the JSON an agent gave with `event`, what goes to the daemon: the fields the event reads. */
export function keptPayload(event: string, data: Payload): Payload {
  return keptFields(agentEvent(event) ?? unknownEvent(event), data);
}

/** Refuses an event orchestra hook does not know, naming the close ones. */
export function assertKnownEvent(event: string): void {
  if (!agentEvent(event)) unknownEvent(event);
}

function unknownEvent(event: string): never {
  const close = closestMatches(event, [...HOOK_EVENTS]);
  const hint = close.length > 0 ? ` (did you mean ${close.join(' or ')}?)` : '';
  const plain = `${PLAIN_EVENT_NAMES.slice(0, -1).join(', ')} or ${PLAIN_EVENT_NAMES.at(-1)}`;
  const agents = BUILT_IN_AGENTS.filter((agent) => Object.keys(agent.events).length > 0).map((agent) => `${agent.name}'s ${Object.keys(agent.events).join(', ')}`);
  throw new UsageError(`'${event}' is not an event orchestra hook knows${hint}; use ${plain}, or one of ${agents.join('; ')}.`);
}
