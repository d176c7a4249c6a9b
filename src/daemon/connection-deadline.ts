/** The timers a deadline needs; tests pass a clock they move by hand. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // Unref'd: a connection's deadline never keeps the daemon alive.
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

export interface DeadlineLimits {
  /** Time from connecting to the first whole message. */
  handshakeMs: number;
  /** Time with nothing received while the connection is not busy. */
  idleMs: number;
}

/**
 * When a client connection of the daemon has been quiet too long: it must send its first
 * whole message within `handshakeMs` of connecting, and afterwards it is closed once it has
 * been idle for `idleMs` — nothing received, no request in flight, no subscription. A busy
 * connection has no deadline: a `start` may run its setup script for an hour, and a
 * dashboard waits for news as long as it likes. `expire` is called once, with why.
 */
export class ConnectionDeadline {
  private readonly connected: number;
  /** When the last whole message came or the connection stopped being busy; undefined before the first message. */
  private quietSince: number | undefined;
  private busy = false;
  private timer: unknown;
  private timerDue = 0;
  private over = false;

  constructor(
    private readonly limits: DeadlineLimits,
    private readonly expire: (why: string) => void,
    private readonly clock: Clock = systemClock,
  ) {
    this.connected = clock.now();
    this.arm();
  }

  /** A whole message came. */
  heard(): void {
    this.quietSince = this.clock.now();
    this.arm();
  }

  /** Whether a request is in flight or the client subscribed: a busy connection is never idle. */
  setBusy(busy: boolean): void {
    if (busy === this.busy) return;
    this.busy = busy;
    if (!busy && this.quietSince !== undefined) this.quietSince = this.clock.now();
    this.arm();
  }

  stop(): void {
    this.over = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** When the connection expires as things stand; undefined while it is busy. */
  private deadline(): number | undefined {
    if (this.quietSince === undefined) return this.connected + this.limits.handshakeMs;
    return this.busy ? undefined : this.quietSince + this.limits.idleMs;
  }

  /**
   * Keeps one timer, due no later than the deadline. A timer due earlier than a deadline that
   * has moved on sets itself again for the rest when it fires: messages never reset a timer.
   */
  private arm(): void {
    if (this.over) return;
    const deadline = this.deadline();
    if (deadline === undefined || (this.timer !== undefined && this.timerDue <= deadline)) return;
    this.clock.clearTimeout(this.timer);
    this.timerDue = deadline;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, deadline - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    const due = this.deadline();
    if (due === undefined) return;
    if (this.clock.now() < due) return this.arm();
    this.stop();
    this.expire(this.quietSince === undefined ? `sent no whole message within ${duration(this.limits.handshakeMs)}` : `was idle for ${duration(this.limits.idleMs)}`);
  }
}

function duration(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}
