import { createHash } from 'node:crypto';
import type { ActivitySpec, ActivityVerdict, ExitStatus, HolderTask } from '../../protocol/holder.js';

/**
 * What the core needs from whoever runs agents' terminals (the daemon's holder
 * supervisor): start one, stop one, and know whether it runs and who watches. The core
 * decides what to run; the supervisor only runs it.
 */
export interface Terminals {
  launch(launch: AgentLaunch): Promise<LaunchedAgent>;
  /** Ends the agent and resolves once its exit has been recorded; null when none ran. */
  stop(key: string, force: boolean): Promise<ExitStatus | null>;
  state(key: string): TerminalState | undefined;
}

export interface AgentLaunch {
  key: string;
  task: HolderTask;
  agent: string;
  argv: string[];
  /** The command line for logs: argv without the prompt (AgentInvocation.shown). */
  shown: string[];
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
  /** Where the holder's own complaints go: the task's log. */
  logPath: string;
  /** How the holder judges from the screen whether the agent works or waits. */
  activity: ActivitySpec;
}

export interface LaunchedAgent {
  agent_pid: number;
  /**
   * How the agent ended, should it end within moments of its start (null: its holder died);
   * undefined once those have passed with the agent running. Its end is recorded as any other's.
   */
  early: Promise<ExitStatus | null | undefined>;
}

export interface TerminalState {
  socket: string;
  viewers: number;
}

/** What the terminals' supervisor tells the core about the agents it watches. */
export interface TerminalEvents {
  /** An agent that runs was found again (after a daemon restart); its holder's verdicts on the screen follow. */
  found(task: HolderTask, agent: string): Promise<void>;
  /** The holder's verdict on what the agent does, from its screen, changed. */
  activity(task: HolderTask, verdict: ActivityVerdict): void;
  /** An agent has exited (status null: its holder vanished without saying how). */
  exited(task: HolderTask, status: ExitStatus | null, cause: string): Promise<void>;
  /** What `state` says of the task's terminal changed: an agent runs now, or no more, or its viewers changed. */
  changed(task: HolderTask): void;
}

/**
 * A holder's name: short (it is part of a socket path, which must stay under 100 bytes)
 * and unique per project and task.
 */
export function holderKey(root: string, id: number): string {
  return `${createHash('sha256').update(root).digest('hex').slice(0, 10)}-${id}`;
}
