import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionDeadline, type Clock } from '../../src/daemon/connection-deadline.js';

/** A clock the test moves: timers fire, in order, as `advance` passes them. */
class ManualClock implements Clock {
  private time = 0;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;

  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }
  clearTimeout(timer: unknown): void {
    this.timers.delete(timer as number);
  }
  /** Moves to `ms` later, firing each timer due on the way at its own time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const [id, next] = [...this.timers].sort(([, a], [, b]) => a.at - b.at)[0] ?? [];
      if (id === undefined || next!.at > end) break;
      this.timers.delete(id);
      this.time = next!.at;
      next!.callback();
    }
    this.time = end;
  }
  get pending(): number {
    return this.timers.size;
  }
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

function deadline(limits = { handshakeMs: 10 * SECOND, idleMs: 10 * MINUTE }) {
  const clock = new ManualClock();
  const expired: Array<{ at: number; why: string }> = [];
  const connection = new ConnectionDeadline(limits, (why) => expired.push({ at: clock.now(), why }), clock);
  return { clock, expired, connection };
}

describe("the deadline of a client's connection to the daemon", () => {
  it('closes a connection that sends no whole message within the handshake time, and not a moment earlier', () => {
    const { clock, expired } = deadline();
    clock.advance(10 * SECOND - 1);
    assert.deepEqual(expired, []);
    clock.advance(1);
    assert.deepEqual(expired, [{ at: 10 * SECOND, why: 'sent no whole message within 10 s' }]);
  });

  it('after the first message, closes a connection idle for the idle time after its last message', () => {
    const { clock, expired, connection } = deadline();
    clock.advance(5 * SECOND);
    connection.heard();
    // Messages keep it open, each starting the idle time again.
    for (let i = 0; i < 5; i++) {
      clock.advance(9 * MINUTE);
      connection.heard();
    }
    const last = clock.now();
    clock.advance(10 * MINUTE - 1);
    assert.deepEqual(expired, []);
    clock.advance(1);
    assert.deepEqual(expired, [{ at: last + 10 * MINUTE, why: 'was idle for 10 min' }]);
  });

  it('never closes a busy connection, and counts the idle time from when it stopped being busy', () => {
    const { clock, expired, connection } = deadline();
    connection.heard();
    connection.setBusy(true);
    clock.advance(5 * 60 * MINUTE);
    assert.deepEqual(expired, []);
    assert.equal(clock.pending, 0, 'no timer runs for a busy connection');
    connection.setBusy(false);
    const quiet = clock.now();
    clock.advance(10 * MINUTE - 1);
    assert.deepEqual(expired, []);
    clock.advance(1);
    assert.deepEqual(expired, [{ at: quiet + 10 * MINUTE, why: 'was idle for 10 min' }]);
  });

  it('keeps to an idle time shorter than the handshake time (a test daemon)', () => {
    const { clock, expired, connection } = deadline({ handshakeMs: 10 * SECOND, idleMs: 300 });
    clock.advance(100);
    connection.heard();
    clock.advance(300);
    assert.deepEqual(expired, [{ at: 400, why: 'was idle for 0.3 s' }]);
  });

  it('says nothing once stopped (the connection closed)', () => {
    const { clock, expired, connection } = deadline();
    connection.heard();
    connection.stop();
    connection.setBusy(true);
    connection.setBusy(false);
    clock.advance(60 * MINUTE);
    assert.deepEqual(expired, []);
    assert.equal(clock.pending, 0);
  });
});
