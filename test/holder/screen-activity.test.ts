import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActivitySpec } from '../../protocol/holder.js';
import { ScreenActivity, type Verdict } from '../../src/holder/screen-activity.js';
import { TerminalMirror } from '../../src/holder/terminal-mirror.js';
import { waitFor } from '../helpers/sandbox.js';

/** A mirror, its judge, and every verdict it gave. */
function judge(spec: ActivitySpec) {
  const mirror = new TerminalMirror(40, 5, 100);
  const activity = new ScreenActivity(mirror, spec);
  const verdicts: Verdict[] = [];
  activity.onChange((verdict) => verdicts.push(verdict));
  const write = (text: string) => {
    mirror.write(Buffer.from(text));
    activity.outputArrived();
  };
  const last = () => verdicts.at(-1);
  return { mirror, activity, verdicts, write, last, dispose: () => (activity.dispose(), mirror.dispose()) };
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the holder's judge of what an agent does, from its screen", () => {
  it('says idle once the screen is quiet, running once it keeps changing, and ignores echoes', async () => {
    const j = judge({ idle_after_ms: 1500, patterns: [] });
    await waitFor(() => j.last()?.state === 'idle', 'idle after a quiet start');
    assert.equal(j.last()!.cause, 'the screen has not changed for 1.5 s');
    // A person typing: their echo is not the agent's work.
    for (let i = 0; i < 8; i++) {
      j.activity.inputSent();
      j.write('x');
      await tick(100);
    }
    assert.equal(j.last()!.state, 'idle');
    // Output that keeps coming.
    for (let i = 0; i < 30 && j.last()!.state !== 'running'; i++) {
      j.write(`\rline ${i}`);
      await tick(100);
    }
    assert.deepEqual(j.last(), { state: 'running', reason: '', cause: 'the screen keeps changing' });
    await waitFor(() => j.last()?.state === 'idle', 'idle again');
    // A clock that ticks once a second is not work.
    for (let i = 0; i < 4; i++) {
      j.write(`\r12:00:0${i}`);
      await tick(1000);
    }
    assert.equal(j.last()!.state, 'idle');
    // Output that repaints the same screen changes nothing.
    const count = j.verdicts.length;
    for (let i = 0; i < 8; i++) {
      j.write('\r');
      await tick(100);
    }
    assert.equal(j.verdicts.length, count, JSON.stringify(j.verdicts.slice(count - 1)));
    j.dispose();
  });

  it("lets the profile's patterns decide over changes, first match first", async () => {
    const j = judge({
      idle_after_ms: 300,
      patterns: [
        { match: 'esc to interrupt', status: 'running' },
        { match: '^Allow (\\w+)\\?', status: 'waiting', reason: 'a permission' },
        { match: 'Continue\\?', status: 'waiting' },
      ],
    });
    j.write('working… esc to interrupt');
    await tick(1000);
    assert.equal(j.last()?.state ?? 'running', 'running', 'a quiet screen that says it works');
    j.write('\r\x1b[2KAllow Bash?');
    await waitFor(() => j.last()?.state === 'waiting', 'waiting');
    assert.deepEqual(j.last(), { state: 'waiting', reason: 'a permission', cause: 'the screen shows "Allow Bash?"', shown: true });
    j.write('\r\x1b[2KContinue? ');
    await waitFor(() => j.last()?.reason === 'Continue?', 'the matched text as the reason');
    j.write('\r\x1b[2Kdone');
    await waitFor(() => j.last()?.state === 'idle', 'idle');
    j.dispose();
  });

  it('matches a pattern against a line as shown, its blank before the cursor included, and without trailing blanks', async () => {
    const j = judge({
      idle_after_ms: 300,
      patterns: [
        { match: '\\(y/n\\) $', status: 'waiting', reason: 'a yes or no' },
        { match: '^Continue\\?$', status: 'waiting', reason: 'to continue' },
      ],
    });
    j.write('Apply the change? (y/n) ');
    await waitFor(() => j.last()?.state === 'waiting', 'waiting at "(y/n) "');
    assert.deepEqual(j.last(), { state: 'waiting', reason: 'a yes or no', cause: 'the screen shows "(y/n)"', shown: true });
    // Answered: the blank after the prompt is the answer's now.
    j.write('y\r\n');
    await waitFor(() => j.last()?.state === 'idle', 'idle once answered');
    // A pattern that ends at the text still matches a prompt with a blank after it.
    j.write('Continue? ');
    await waitFor(() => j.last()?.reason === 'to continue', 'waiting at "Continue? "');
    j.dispose();
  });

  it('tells when a pattern comes to say in words what a still screen only suggested', async () => {
    // A pattern over lines, down to an input box: the log names its first line.
    const j = judge({ idle_after_ms: 300, patterns: [{ match: '^Interrupted\\n *\\n─{3}', status: 'idle' }] });
    await waitFor(() => j.last()?.state === 'idle', 'idle after a quiet start');
    assert.equal(j.last()!.shown, undefined);
    // An Esc: its echo is no work, but the words it brings are news.
    j.activity.inputSent();
    j.write('\r\nInterrupted\r\n\r\n───');
    await waitFor(() => j.last()?.shown === true, 'the end in words');
    assert.deepEqual(j.last(), { state: 'idle', reason: '', cause: 'the screen shows "Interrupted"', shown: true });
    j.dispose();
  });

  it('gives up what a pattern showed once it is gone, even while the screen is neither quiet nor busy', async () => {
    const j = judge({ idle_after_ms: 1500, patterns: [{ match: '^Interrupted$', status: 'idle' }] });
    await waitFor(() => j.last()?.state === 'idle', 'idle after a quiet start');
    j.write('Interrupted');
    await waitFor(() => j.last()?.shown === true, 'the end in words');
    // The next turn: a clock that ticks once a second, which is never quiet for 1.5 s nor a spell of work.
    j.write('\r\x1b[2K> next prompt');
    for (let i = 0; i < 3; i++) {
      await tick(1000);
      j.write(`\r\x1b[2K> next prompt ${i}s`);
    }
    await waitFor(() => j.last()?.shown !== true, 'what was shown given up');
    assert.deepEqual(j.last(), { state: 'running', reason: '', cause: 'the screen changed from what it showed' });
    // So that the same words, shown again, are news.
    j.write('\r\x1b[2KInterrupted');
    await waitFor(() => j.last()?.shown === true, 'the end in words again');
    // A person's typing that hides them, a moment after the agent drew them, is no work.
    const count = j.verdicts.length;
    j.activity.inputSent();
    j.write('\r\x1b[2K> typed');
    await tick(800);
    assert.deepEqual(j.verdicts.slice(count).filter((v) => v.state === 'running'), []);
    j.dispose();
  });
});
