import type { Activity, ScreenPattern } from '../../../protocol/holder.js';

/**
 * What an agent integration is (DESIGN.md §3, §5): one module per agent in this folder says
 * how to run it, what it reports about itself and what each report means, how Orchestra
 * wires it (hooks, plugin, MCP, worktree preparation), and what its screen shows that its
 * reports do not. registry.ts lists them; adding an agent is one module and one line there.
 */

/** The JSON an agent gives with an event. */
export type Payload = Record<string, unknown>;

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
 * - `stop`: the turn has ended (it holds while sub-agents work in the background);
 * - `spawn`, `join`: a sub-agent starts, ends (`subagent` names it).
 */
export type Meaning = 'prompt' | 'tool' | 'ask' | 'notice' | 'resume' | 'work' | 'stop' | 'spawn' | 'join';

/** What one event says: the agent's state, why it waits, and what the event means for its turn. */
export interface Reading {
  state: Activity;
  /** For `waiting`: what the agent waits for, in words for the user. */
  reason: string;
  meaning?: Meaning;
  /** For a tool call that starts: what a wait for it would be, should one come without naming it. */
  toolCall?: string;
  /** For a sub-agent's start or end: which one. */
  subagent?: string;
}

/** Cuts a field of the agent's JSON down to what the daemon needs of it. */
export type FieldKeeper = (value: unknown) => unknown;

/** One event an agent reports (a hook, a plugin's event). */
export interface AgentEvent {
  /** What it says about the agent; null when it says nothing about whether the agent works (a login notification). */
  read: (data: Payload) => Reading | null;
  /**
   * The fields of the agent's JSON that `read` looks at: only these go from the agent to the
   * daemon, each cut by its keeper when it has one (a tool call's input is kept to what names
   * the call). The rest (a transcript's path, a file's new content) stays with the agent.
   */
  fields?: Record<string, FieldKeeper | true>;
}

/** `orchestra mcp`, as an agent runs it: with the variables that scope it to the task. */
export interface McpServerSpec {
  command: string[];
  env: Record<string, string>;
}

/** What an agent module adds to its agent's command line and environment. */
export type Added = { args?: string[]; env?: Record<string, string> };

/** A task's worktree, about to get its agent. */
export interface WorktreeContext {
  /** The main checkout. */
  root: string;
  worktree: string;
  /** The agent's environment. */
  env: Record<string, string>;
}

/** A built-in agent: its profile's defaults, its events, its wiring and its screen. */
export interface AgentModule {
  name: string;
  command: string[];
  resume: string[];
  env: Record<string, string>;
  idle_after: number;
  /** What to tell a user who does not have it. */
  install: string;
  /** What its screen shows that its reports do not say, or say late: tried after the config's own. */
  patterns: ScreenPattern[];
  /** The events it reports, by name (every name once across all agents: `orchestra hook <event>` takes them). */
  events: Record<string, AgentEvent>;
  /**
   * How it is given Orchestra's MCP server: arguments after the command's (last, since
   * Claude Code's list options would take a prompt after them as one more value), and
   * environment.
   */
  mcp?: (server: McpServerSpec, env: Record<string, string>) => Added;
  /** How it is made to report its events: `hook` is `orchestra hook` as a command line, to which an event's name is added. */
  hooks?: (hook: string[], env: Record<string, string>) => Added;
  /** Whether a profile of this name carries the main checkout's folder trust over to the worktree unless the config says otherwise. */
  trustsWorktree?: boolean;
  /** What it needs in its worktree before it starts: what was done (for the task's log), and variables for its environment. */
  prepare?: (context: WorktreeContext) => { lines: string[]; env: Record<string, string> };
}

/** A non-empty string, on one line. */
export const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? oneLine(value) : undefined);

export const running = (meaning?: Meaning): Reading => ({ state: 'running', reason: '', ...(meaning ? { meaning } : {}) });
export const idle = (meaning?: Meaning): Reading => ({ state: 'idle', reason: '', ...(meaning ? { meaning } : {}) });
export const waiting = (reason: string, meaning?: Meaning): Reading => ({ state: 'waiting', reason, ...(meaning ? { meaning } : {}) });

/** Agents' messages can be long and span lines; the task file and the log take one short line. */
export function oneLine(value: string): string {
  const line = value.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** What a person is asked: "an answer to: Which database?" */
export function question(questions: unknown): string {
  const first = Array.isArray(questions) ? (questions[0] as { question?: unknown } | undefined) : undefined;
  return oneLine(`an answer to: ${text(first?.question) ?? 'a question'}`);
}

/** A detail longer than this is cut before it is sent: the task file shows one short line of it. */
export const DETAIL_MAX = 500;

/** Of the questions an agent asks, the first one's text: all the task shows of them. */
export function firstQuestion(questions: unknown): { question: string }[] | undefined {
  return Array.isArray(questions) ? questions.slice(0, 1).map((q) => ({ question: String((q as Payload | null)?.question ?? '').slice(0, DETAIL_MAX) })) : undefined;
}

/** A word for /bin/sh: quoted unless it is plainly safe. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Of an agent's JSON for `event`, the fields the event reads, each cut by its keeper. */
export function keptFields(event: AgentEvent, data: Payload): Payload {
  const kept: Payload = {};
  for (const [field, keeper] of Object.entries(event.fields ?? {})) {
    if (!Object.hasOwn(data, field)) continue;
    const value = keeper === true ? data[field] : keeper(data[field]);
    if (value !== undefined) kept[field] = value;
  }
  return kept;
}
