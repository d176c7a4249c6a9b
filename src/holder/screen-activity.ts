import type { Activity, ActivitySpec, ActivityVerdict } from '../../protocol/holder.js';
import type { TerminalMirror } from './terminal-mirror.js';

/** How often, at most, the screen is compared while output flows. */
const CHECK_MS = 250;
/** Changes this soon after a person's keys, a resize or a repaint are their echo, not the agent's work. */
const ECHO_MS = 300;
/** The screen must keep changing this long before the agent counts as working. */
const CONFIRM_MS = 800;
/**
 * Changes further apart than this are not one spell of work: a clock ticking in a status line
 * (once a second) never makes the agent count as working, a spinner or streaming text does.
 */
const STEADY_GAP_MS = 700;

export type Verdict = ActivityVerdict;

interface CompiledPattern {
  regex: RegExp;
  status: Activity;
  reason: string | undefined;
}

/**
 * The fallback judge of what an agent does (DESIGN.md §5): from its screen alone, with or
 * without anyone attached. Running while the screen keeps changing; idle once it has not
 * changed for `idle_after_ms`; and a profile's patterns, tried on the visible screen, win
 * over both (a footer that says the agent can be interrupted, a question it asks).
 */
export class ScreenActivity {
  private verdict: Verdict = { state: 'running', reason: '', cause: 'the agent started' };
  private readonly patterns: CompiledPattern[];
  private lastScreen = '';
  /** The screen as a person reads it, its cursor's row up to the cursor: what patterns are tried on. */
  private shownScreen = '';
  /** When the screen started changing after a quiet spell; undefined while quiet. */
  private changingSince: number | undefined;
  private lastChange: number;
  private lastInput = Number.NEGATIVE_INFINITY;
  private checkTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly listeners: ((verdict: Verdict) => void)[] = [];

  constructor(
    private readonly mirror: TerminalMirror,
    private readonly spec: ActivitySpec,
  ) {
    // The daemon checked the patterns; one that is broken anyway is left out rather than fatal.
    this.patterns = spec.patterns.flatMap((p) => {
      try {
        return [{ regex: new RegExp(p.match, 'm'), status: p.status, reason: p.reason }];
      } catch {
        return [];
      }
    });
    // Starting is work: the agent has until idle_after to show it goes on.
    this.lastChange = Date.now();
    this.changingSince = this.lastChange - CONFIRM_MS;
    this.armIdle();
  }

  onChange(listener: (verdict: Verdict) => void): void {
    this.listeners.push(listener);
  }

  /** The agent wrote something: the screen is compared once it is parsed, at most every CHECK_MS. */
  outputArrived(): void {
    if (this.checkTimer) return;
    this.checkTimer = setTimeout(() => {
      this.checkTimer = undefined;
      this.mirror.afterWrites(() => this.check());
    }, CHECK_MS);
  }

  /** A person typed, or the terminal was resized or repainted: what the screen does next is their echo. */
  inputSent(): void {
    this.lastInput = Date.now();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.checkTimer);
    clearTimeout(this.idleTimer);
  }

  private check(): void {
    if (this.disposed) return;
    const screen = this.mirror.screenText();
    this.shownScreen = this.mirror.screenText({ toCursor: true });
    const now = Date.now();
    let changed = false;
    if (screen !== this.lastScreen) {
      this.lastScreen = screen;
      if (now - this.lastInput > ECHO_MS) {
        if (now - this.lastChange > STEADY_GAP_MS) this.changingSince = undefined;
        this.changingSince ??= now;
        this.lastChange = now;
        this.armIdle();
        changed = true;
      }
    }
    this.decide(now, changed);
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.changingSince = undefined;
      // Timers run on another clock than Date.now(), and may fire a millisecond before it
      // says the time is up: the screen would not count as quiet, and no timer would be left.
      this.decide(Math.max(Date.now(), this.lastChange + this.spec.idle_after_ms));
    }, this.spec.idle_after_ms);
  }

  /** `changed`: the agent changed the screen since the last look (not an echo of a person's keys). */
  private decide(now: number, changed = false): void {
    for (const pattern of this.patterns) {
      // A line as shown, trailing blank before the cursor included ('\(y/n\) $'), or without
      // its trailing blanks ('\(y/n\)$'): a person may write the pattern either way.
      const match = pattern.regex.exec(this.shownScreen) ?? pattern.regex.exec(this.lastScreen);
      if (!match) continue;
      // Its first line: a pattern may reach over a dialog's menu or down to an input box.
      const shown = match[0].trim().split('\n', 1)[0]!.trimEnd().slice(0, 80);
      const reason = pattern.status === 'waiting' ? (pattern.reason ?? shown) : '';
      return this.set({ state: pattern.status, reason, cause: `the screen shows "${shown}"`, shown: true });
    }
    const quiet = now - this.lastChange >= this.spec.idle_after_ms;
    if (quiet) this.set({ state: 'idle', reason: '', cause: `the screen has not changed for ${this.spec.idle_after_ms / 1000} s` });
    else if (this.changingSince !== undefined && now - this.lastChange <= STEADY_GAP_MS && now - this.changingSince >= Math.min(CONFIRM_MS, this.spec.idle_after_ms)) this.set({ state: 'running', reason: '', cause: 'the screen keeps changing' });
    // What a pattern showed is gone, and the agent changed the screen: it is at something else.
    // Left as it was, the verdict would stand while a clock ticks once a second (neither quiet
    // nor a spell of work), and the words shown next would be no news. A person's typing that
    // hides the words (at a shell's prompt) is no work.
    else if (this.verdict.shown && changed) this.set({ state: 'running', reason: '', cause: 'the screen changed from what it showed' });
  }

  private set(verdict: Verdict): void {
    // A pattern that comes to say what stillness guessed is news: the daemon may take words for a turn's end where it doubted a still screen.
    if (verdict.state === this.verdict.state && verdict.reason === this.verdict.reason && verdict.shown === this.verdict.shown) return;
    this.verdict = verdict;
    for (const listener of this.listeners) listener(verdict);
  }
}
