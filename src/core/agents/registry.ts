import { type AgentEvent, type AgentModule, idle, running, text, waiting } from './agent.js';
import { claude } from './claude.js';
import { demo } from './demo.js';
import { opencode } from './opencode.js';

/** The agents Orchestra ships, each its own module; a config may adjust them but need not define them. */
export const BUILT_IN_AGENTS: readonly AgentModule[] = [opencode, claude, demo];

/** The built-in agent of that name, if it is one. */
export function builtInAgent(name: string): AgentModule | undefined {
  return BUILT_IN_AGENTS.find((agent) => agent.name === name);
}

/** Three plain states, for any tool a user wires to `orchestra hook` (README.md, "Other agents"). */
const PLAIN_EVENTS: Record<string, AgentEvent> = {
  running: { read: () => running() },
  idle: { read: () => idle() },
  waiting: { read: (data) => waiting(text(data.reason) ?? text(data.message) ?? 'an answer'), fields: { reason: true, message: true } },
};

/** Every event `orchestra hook` takes: the plain ones, then each agent's; a name two of them use is a mistake, refused here. */
export function eventTable(agents: readonly AgentModule[]): Map<string, AgentEvent> {
  const events = new Map(Object.entries(PLAIN_EVENTS));
  for (const agent of agents) {
    for (const [name, event] of Object.entries(agent.events)) {
      if (events.has(name)) throw new Error(`The event '${name}' of the agent '${agent.name}' is one another agent or a plain state has.`);
      events.set(name, event);
    }
  }
  return events;
}

const EVENTS: ReadonlyMap<string, AgentEvent> = eventTable(BUILT_IN_AGENTS);

export const HOOK_EVENTS: readonly string[] = [...EVENTS.keys()];
export const PLAIN_EVENT_NAMES: readonly string[] = Object.keys(PLAIN_EVENTS);

export function agentEvent(name: string): AgentEvent | undefined {
  return EVENTS.get(name);
}
