import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enterKey, SETTLE_MS, TAKE_LIMIT_MS, TAKE_POLL_MS, textTaken, typedBytes, Typist, type Clock, type InputModes } from '../../src/holder/typist.js';

const PASTE: InputModes = { bracketedPaste: true, keyboardFlags: 0 };
const PLAIN: InputModes = { bracketedPaste: false, keyboardFlags: 0 };

/** A clock that moves only when the test says so, running what is due on the way. */
class TestClock implements Clock {
  time = 0;
  private sleepers: { until: number; wake: () => void }[] = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.sleepers.push({ until: this.time + ms, wake }));
  }

  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settled();
      const next = this.sleepers.filter((s) => s.until <= end).sort((a, b) => a.until - b.until)[0];
      if (!next) break;
      this.time = next.until;
      this.sleepers.splice(this.sleepers.indexOf(next), 1);
      next.wake();
    }
    this.time = end;
    await settled();
  }
}

/** Lets promise chains (the typist's steps) run. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

/** An app's terminal as the typist sees it: what was written when, and how much of it is unread. */
function app(clock: TestClock, modes: InputModes = PASTE) {
  const writes: { at: number; data: string }[] = [];
  const target = { queued: 0, modes, write: (data: string) => writes.push({ at: clock.now(), data }), inputQueued: () => target.queued, inputModes: async () => target.modes };
  return { target, writes, typist: new Typist(target, clock) };
}

describe('typing as a person does', () => {
  it('pastes text, as one paste however many lines it has, when the app has bracketed paste on', () => {
    assert.equal(typedBytes('fix the tests', PASTE), '\x1b[200~fix the tests\x1b[201~');
    assert.equal(typedBytes('one\ntwo\r\nthree\rfour', PASTE), '\x1b[200~one\rtwo\rthree\rfour\x1b[201~', 'line breaks as a terminal pastes them');
  });

  it('sends line breaks as Ctrl+J without bracketed paste, so that they do not submit', () => {
    assert.equal(typedBytes('fix the tests', PLAIN), 'fix the tests');
    assert.equal(typedBytes('one\ntwo\r\nthree\rfour', PLAIN), 'one\ntwo\nthree\nfour');
  });

  it('presses keys as keys: a single character, or text with control characters, goes as it is', () => {
    for (const keys of ['1', 'y', '\r', '\x1b', 'é', '\x1b[B', 'ab\x03', '\x1b[201~evil\r']) assert.equal(typedBytes(keys, PASTE), keys, JSON.stringify(keys));
  });

  it('presses Enter as CR, or as its kitty code when the app asked for every key as one', () => {
    assert.equal(enterKey(PASTE), '\r');
    assert.equal(enterKey({ bracketedPaste: true, keyboardFlags: 1 }), '\r');
    assert.equal(enterKey({ bracketedPaste: true, keyboardFlags: 8 | 1 }), '\x1b[13u');
  });

  it('counts text as taken once the app has read it all, drawn and rested, or when the wait is up', () => {
    assert.equal(textTaken(50, 0, undefined, 0), false, 'nothing drawn yet');
    assert.equal(textTaken(50, 0, 10, 0), false, 'still drawing');
    assert.equal(textTaken(10 + SETTLE_MS, 0, 10, 0), true, 'drawn, then rested');
    assert.equal(textTaken(10 + SETTLE_MS, 0, 10, 3), false, 'some of the text unread');
    assert.equal(textTaken(TAKE_LIMIT_MS - 1, 0, undefined, 3), false);
    assert.equal(textTaken(TAKE_LIMIT_MS, 0, undefined, 3), true, 'the wait is bounded');
    assert.equal(textTaken(TAKE_LIMIT_MS, 0, TAKE_LIMIT_MS - 1, 0), true, 'even for an app that keeps drawing');
  });

  it('presses Enter once the app has drawn the text and rested, in a write of its own', async () => {
    const clock = new TestClock();
    const { writes, typist } = app(clock);
    let done = false;
    void typist.type('hello', true).then(() => (done = true));
    await clock.advance(5);
    typist.outputArrived();
    await clock.advance(SETTLE_MS - 1);
    assert.deepEqual(writes, [{ at: 0, data: '\x1b[200~hello\x1b[201~' }], 'no Enter while the app may still take the text');
    await clock.advance(TAKE_POLL_MS + 1);
    assert.equal(writes.length, 2);
    assert.equal(writes[1]!.data, '\r');
    assert.ok(writes[1]!.at >= 5 + SETTLE_MS && writes[1]!.at <= 5 + SETTLE_MS + TAKE_POLL_MS, `Enter at ${writes[1]!.at} ms`);
    assert.ok(done);
  });

  it('waits while the app has not read all of the text, and at most the limit for an app that draws nothing', async () => {
    const clock = new TestClock();
    const { target, writes, typist } = app(clock);
    target.queued = 4096;
    void typist.type('a long text', true);
    await clock.advance(10);
    typist.outputArrived();
    await clock.advance(500);
    assert.equal(writes.length, 1, 'the app drew, but has not read the rest');
    target.queued = 0;
    await clock.advance(TAKE_POLL_MS);
    assert.equal(writes.length, 2);

    const quiet = new TestClock();
    const silent = app(quiet);
    void silent.typist.type('anyone there?', true);
    await quiet.advance(TAKE_LIMIT_MS - 1);
    assert.equal(silent.writes.length, 1);
    await quiet.advance(TAKE_POLL_MS);
    assert.deepEqual(silent.writes.map((w) => [w.at, w.data]), [[0, '\x1b[200~anyone there?\x1b[201~'], [TAKE_LIMIT_MS, '\r']]);
  });

  it('types one request after the other, each write once the app has taken the one before, and counts what waits', async () => {
    const clock = new TestClock();
    const { writes, typist } = app(clock, PLAIN);
    const order: string[] = [];
    void typist.type('first\nprompt', true).then(() => order.push('first'));
    void typist.type('second', false).then(() => order.push('second'));
    void typist.type('', true).then(() => order.push('enter'));
    await clock.advance(0);
    assert.deepEqual([typist.waiting, typist.bytesWaiting], [3, 'second'.length]);
    await clock.advance(TAKE_LIMIT_MS);
    assert.deepEqual(writes.map((w) => w.data), ['first\nprompt', '\r']);
    assert.deepEqual(order, ['first'], 'done once Enter is written');
    await clock.advance(TAKE_LIMIT_MS);
    assert.deepEqual(writes.map((w) => w.data), ['first\nprompt', '\r', 'second'], 'the next text once the app has taken the Enter');
    await clock.advance(TAKE_LIMIT_MS);
    assert.deepEqual(writes.map((w) => [w.at, w.data]), [[0, 'first\nprompt'], [TAKE_LIMIT_MS, '\r'], [2 * TAKE_LIMIT_MS, 'second'], [3 * TAKE_LIMIT_MS, '\r']]);
    assert.deepEqual(order, ['first', 'second', 'enter']);
    assert.deepEqual([typist.waiting, typist.bytesWaiting], [0, 0]);
  });
});
