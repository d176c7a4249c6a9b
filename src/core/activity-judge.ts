import type { Activity } from '../../protocol/holder.js';
import type { ActivityReport } from './agent-events.js';

/**
 * A verdict must hold this long before it is written: an agent that ends a turn and starts
 * the next at once (a queued prompt), or a screen that pauses for a moment, does not make
 * the task file flap.
 */
export const SETTLE_MS = 400;
/**
 * The agent's own reports are deliberate, not a screen's guess: they settle sooner (idle within
 * 2 s of a reply, issue 7). Its word that it works is written at once: only an end or a wait
 * needs to hold, so that a turn that ends and a queued prompt that starts at once leave the
 * task running; and a hook's process has taken much of the second a change may take already
 * (bench/status-accuracy.ts).
 */
export const AGENT_SETTLE_MS = 200;
/** A quiet screen ends a turn the agent did not report as ended only when the agent has said nothing for this long. */
export const AGENT_SILENCE_MS = 1000;
/** A dialog the screen shows waits this long for the agent's hooks to say what it asks (a permission for which command). */
export const DIALOG_SETTLE_MS = 600;
/**
 * A dialog that leaves the screen was answered: with Yes, the agent reports the tool call's
 * end, or its screen shows it working, within this long; with No or Esc it says nothing.
 */
export const DIALOG_CLOSED_MS = 1500;
/**
 * An agent that reports itself and has said nothing this long after its start is taken not
 * to (hooks turned off in its own settings): from then on its screen decides, as for others.
 * Generous: OpenCode on a machine where it never ran, without a registry, under load, took
 * 41 s to take its prompt.
 */
export const FIRST_REPORT_GRACE_MS = 120_000;
/**
 * The end of a turn that came while sub-agents worked in the background holds until they have
 * all ended and the agent has then said nothing for this long: a sub-agent's end starts a turn
 * of the main agent's own (it reads the result), whose hooks or end come sooner.
 */
export const SUBAGENTS_DONE_MS = 5000;
/**
 * Sub-agents from which nothing has been heard this long are taken as gone (an end that was
 * never reported: one stopped with Esc): the turn's end they held applies.
 */
export const SUBAGENT_SILENCE_MS = 60_000;
/** Sub-agents counted at most: beyond, the held end applies at the next silence anyway. */
const MAX_SUBAGENTS = 64;

/** A change the judge has decided on: the activity it follows and the report that made it. */
export interface ActivityChange {
  previous: Activity;
  report: ActivityReport;
  /** Whether a new turn starts with it (someone prompted the agent): only that reopens a completed task. */
  opensTurn: boolean;
}

/** What the daemon knows of an agent once its profile and command line are worked out. */
export interface AgentTraits {
  /** The agent reports what it does itself (hooks, a plugin). */
  agentReports: boolean;
  /** It starts with a prompt (a task's description), so it works from its first moment; a resumed agent waits at its prompt. */
  prompted: boolean;
}

/**
 * Decides, for one run of an agent, which of the reports about it to believe and when
 * (DESIGN.md §5): the agent's own reports, put in order by what they mean, and its screen's
 * verdicts, which count for what the agent cannot report (a dialog it shows before its
 * hooks run or without them, a turn ended with Esc). Pure: the caller gives the time, and
 * calls `settle` when `due` says; every timing rule is tested with a made-up clock.
 */
export class ActivityJudge {
  private applied: { state: Activity; reason: string };
  private pending: { report: ActivityReport; due: number } | undefined;
  private traits: AgentTraits;
  private readonly startedAt: number;
  /** Whether the agent has reported anything yet. */
  private reported = false;
  /** The `at` of the latest of the agent's reports taken (or when its screen showed a turn's end in words), and what it meant. */
  private lastReportAt = 0;
  private lastMeaning: ActivityReport['meaning'];
  /** When the agent's latest report came in. */
  private lastReportReceived = Number.NEGATIVE_INFINITY;
  /** What a wait for the tool call under way would be called; undefined between calls. */
  private toolCall: string | undefined;
  /** The screen's latest verdict. */
  private screen: ActivityReport | undefined;
  /** The screen shows the turn's end in words, and no prompt has come since. */
  private endShown = false;
  /** A dialog the screen showed has closed, and the agent has not reported since: its screen tells what it does. */
  private screenLeads = false;
  /** The screen was quiet while the agent loaded: its word counts once the agent has had FIRST_REPORT_GRACE_MS to report. */
  private deferred = false;
  /** The wait the task shows (or will) is in general words, not named after what is asked. */
  private vagueWait = false;
  /** Sub-agents that work, by id, and ends of sub-agents whose start has not come yet (hooks arrive in any order). */
  private readonly subagents = new Set<string>();
  private readonly subagentsEnded = new Set<string>();
  /** The end of a turn that came while sub-agents worked: it applies once they are done (SUBAGENTS_DONE_MS) or silent (SUBAGENT_SILENCE_MS). */
  private heldStop: ActivityReport | undefined;

  constructor(options: { state: Activity; reason: string; traits: AgentTraits; now: number }) {
    this.applied = { state: options.state, reason: options.reason };
    this.traits = { ...options.traits };
    this.startedAt = options.now;
  }

  /** What the agent is, once known (a start learns it after the run has begun). */
  know(traits: AgentTraits): void {
    this.traits = { ...traits };
  }

  /** When `settle` has something to decide; undefined while nothing waits. */
  get due(): number | undefined {
    const times = [this.pending?.due, this.deferred ? this.startedAt + FIRST_REPORT_GRACE_MS : undefined, this.heldStopDue].filter((t) => t !== undefined);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /** The change decided by `now`, if any; it counts as applied from here on. */
  settle(now: number): ActivityChange | undefined {
    if (this.deferred && now >= this.startedAt + FIRST_REPORT_GRACE_MS) {
      this.deferred = false;
      if (this.screen?.state === 'idle') this.fromScreen(this.screen, now);
    }
    const held = this.heldStop;
    if (held && now >= this.heldStopDue!) {
      const cause = this.subagents.size > 0 ? `${held.cause}, held while sub-agents worked, which have said nothing since` : `${held.cause}, held until the sub-agents were done`;
      this.forgetSubagents();
      this.propose({ ...held, cause }, now, 0);
    }
    if (!this.pending || now < this.pending.due) return undefined;
    const { report } = this.pending;
    this.pending = undefined;
    const previous = this.applied.state;
    this.applied = { state: report.state, reason: report.reason };
    const byScreenOfReportingAgent = report.source === 'screen' && this.traits.agentReports;
    const opensTurn = report.meaning === 'prompt' || (report.meaning === undefined && previous !== 'running' && !byScreenOfReportingAgent);
    return { previous, report, opensTurn };
  }

  /** A report from the agent or a verdict on its screen. */
  offer(report: ActivityReport, now: number): void {
    if (report.source === 'screen') this.fromScreen(report, now);
    else this.fromAgent(report, now);
  }

  /** When a held end of a turn applies, if one is held. */
  private get heldStopDue(): number | undefined {
    if (!this.heldStop) return undefined;
    return this.lastReportReceived + (this.subagents.size > 0 ? SUBAGENT_SILENCE_MS : SUBAGENTS_DONE_MS);
  }

  private forgetSubagents(): void {
    this.subagents.clear();
    this.subagentsEnded.clear();
    this.heldStop = undefined;
  }

  /** Counts a sub-agent's start or end, whichever comes first. */
  private countSubagent(report: ActivityReport): void {
    const id = report.subagent ?? '';
    if (report.meaning === 'spawn') {
      if (!this.subagentsEnded.delete(id) && this.subagents.size < MAX_SUBAGENTS) this.subagents.add(id);
    } else if (!this.subagents.delete(id) && this.subagentsEnded.size < MAX_SUBAGENTS) this.subagentsEnded.add(id);
  }

  /** What the task shows, or will once the pending verdict settles. */
  private get current(): { state: Activity; reason: string } {
    return this.pending?.report ?? this.applied;
  }

  private fromAgent(report: ActivityReport, now: number): void {
    // An end before a built-in agent took its prompt is no end of a turn: OpenCode may say its
    // new session is idle before it submits the prompt it was started with (under load, 0.5 s before).
    if (report.meaning === 'stop' && this.traits.agentReports && this.loading(now)) return;
    this.traits.agentReports = true;
    this.reported = true;
    this.deferred = false;
    this.screenLeads = false;
    this.lastReportReceived = now;
    // Sub-agents are counted whatever order their reports come in; their end changes nothing
    // by itself: the main agent's turn goes on, or its end was held for them.
    if (report.meaning === 'spawn' || report.meaning === 'join') this.countSubagent(report);
    if (report.meaning === 'join') return;
    // The screen showed the turn's end in words (an Esc): until a new prompt, what the hooks
    // say of a tool call is left over from the turn it cut short (its start, its failure, the
    // permission it would have asked, run late).
    if (this.endShown && (report.meaning === 'tool' || report.meaning === 'resume' || report.meaning === 'ask')) return;
    if (report.at !== undefined) {
      // Hooks run side by side: one that started before the latest taken is out of date,
      // except a permission request overtaken by the start of its own tool call.
      const overtaken = report.meaning === 'ask' && this.lastMeaning === 'tool';
      if (report.at < this.lastReportAt && !overtaken) return;
      this.lastReportAt = Math.max(this.lastReportAt, report.at);
    }
    this.lastMeaning = report.meaning;
    switch (report.meaning) {
      case 'tool':
        // The start of a tool call never ends a wait: its own permission request may have come
        // first. A wait in general words (a dialog its screen showed first) is named after it.
        if (this.current.state === 'waiting') {
          if (!this.vagueWait || !report.toolCall) return;
          this.toolCall = report.toolCall;
          return this.propose({ ...report, state: 'waiting', reason: report.toolCall }, now, AGENT_SETTLE_MS);
        }
        this.toolCall = report.toolCall;
        break;
      case 'notice':
        return this.proposeWait(report, now, AGENT_SETTLE_MS);
      case 'prompt':
        this.toolCall = undefined;
        this.heldStop = undefined;
        this.endShown = false;
        break;
      case 'resume':
        this.toolCall = undefined;
        break;
      case 'stop':
        return this.endTurn(report, now);
    }
    this.propose(report, now, report.state === 'running' ? 0 : AGENT_SETTLE_MS);
  }

  /**
   * The end of a turn, in the agent's word or its screen's. Claude Code ends its turn while
   * the sub-agents it started in the background still work: the task goes on running until
   * they are done.
   */
  private endTurn(report: ActivityReport, now: number): void {
    this.toolCall = undefined;
    if (this.subagents.size > 0) {
      this.heldStop = report;
      return;
    }
    this.heldStop = undefined;
    this.propose(report, now, AGENT_SETTLE_MS);
  }

  private fromScreen(report: ActivityReport, now: number): void {
    const dialogShown = this.screen?.state === 'waiting';
    this.screen = report;
    const endShown = report.state === 'idle' && report.shown === true;
    if (!endShown) this.endShown = false;
    if (!this.traits.agentReports) return this.propose(report, now, SETTLE_MS);
    // A dialog the profile knows (a waiting pattern): one the agent may show before its hooks
    // run (Claude Code's trust question) or without firing one (auto mode's).
    if (report.state === 'waiting') return this.proposeWait(report, now, DIALOG_SETTLE_MS);
    const closed = dialogShown && this.current.state === 'waiting';
    if (closed) this.screenLeads = true;
    if (this.loading(now)) {
      // Never idle before the agent has taken its prompt: a quiet screen while it loads is not.
      if (closed) this.propose({ state: 'running', reason: '', cause: 'the dialog left the screen; the agent goes on starting', source: 'screen' }, now, SETTLE_MS);
      if (report.state === 'idle') this.deferred = true;
      return;
    }
    const told = closed ? { ...report, cause: `the dialog left the screen (${report.cause})` } : report;
    // A turn's end the screen shows in words (Claude Code's "Interrupted" over its input box,
    // an Esc no hook reports) is taken as the agent's own end of a turn would be; hooks that
    // started before it are out of date, and those of a tool call after it left over.
    if (endShown) {
      this.endShown = true;
      this.lastReportAt = Math.max(this.lastReportAt, now);
      this.lastMeaning = 'stop';
      if (this.current.state !== 'idle') this.endTurn({ ...told, meaning: 'stop' }, now);
      return;
    }
    if (closed) return this.propose(told, now, DIALOG_CLOSED_MS);
    if (this.screenLeads) return this.propose(report, now, SETTLE_MS);
    // Otherwise the screen only ends a turn the agent did not report as ended (Claude Code
    // fires no hook when interrupted with Esc): a quiet screen while it runs, with no word
    // from the agent meanwhile. Working agents animate their screens.
    // Not while an end is held for sub-agents in the background: the main agent's screen is still then.
    const silent = this.pending === undefined && now - this.lastReportReceived >= AGENT_SILENCE_MS && !this.heldStop;
    if (report.state === 'idle' && this.applied.state === 'running' && silent) this.propose(report, now, SETTLE_MS);
    // A screen that works again before its quiet was taken (a machine that stalled the agent's
    // drawing for a moment) takes it back.
    else if (report.state === 'running' && this.pending?.report.source === 'screen' && this.pending.report.state === 'idle') this.pending = undefined;
  }

  /** An agent that reports itself, started with a prompt, has not reported yet and still has time to. */
  private loading(now: number): boolean {
    return this.traits.prompted && !this.reported && now - this.startedAt < FIRST_REPORT_GRACE_MS;
  }

  /**
   * A wait whose words are general (a notification, a dialog on the screen): a wait already
   * known keeps its better words, and one during a tool call is named after that call.
   */
  private proposeWait(report: ActivityReport, now: number, delay: number): void {
    if (this.current.state === 'waiting') return;
    this.propose({ ...report, reason: this.toolCall ?? report.reason }, now, delay);
    this.vagueWait = this.toolCall === undefined;
  }

  private propose(report: ActivityReport, now: number, delay: number): void {
    this.pending = undefined;
    this.vagueWait = false;
    if (report.state === this.applied.state && report.reason === this.applied.reason) return;
    this.pending = { report, due: now + delay };
  }
}
