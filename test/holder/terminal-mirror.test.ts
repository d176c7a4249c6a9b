import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TerminalMirror } from '../../src/holder/terminal-mirror.js';

const numbered = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}\r\n`).join('');
const parsed = (mirror: TerminalMirror) => new Promise<void>((resolve) => mirror.afterWrites(resolve));

/** The numbers of `text`'s lines, which must be consecutive, and the last one. */
function consecutive(text: string): { first: number; last: number } {
  const numbers = text.split('\n').map((line) => Number(/^line (\d+)$/.exec(line)?.[1]));
  numbers.forEach((n, i) => assert.equal(n, numbers[0]! + i, `line ${i} of the text follows the one above it`));
  return { first: numbers[0]!, last: numbers[numbers.length - 1]! };
}

describe('the terminal mirror', () => {
  it('gives the screen with as much history as asked, a wrapped line as one', async () => {
    const mirror = new TerminalMirror(20, 5, 1000);
    mirror.write(Buffer.from(`${numbered(1, 100)}${'w'.repeat(30)}\r\nend`));
    await parsed(mirror);
    assert.equal(await mirror.text(0, false), `line 99\nline 100\n${'w'.repeat(30)}\nend`);
    assert.equal(await mirror.text(3, false), `line 96\nline 97\nline 98\nline 99\nline 100\n${'w'.repeat(30)}\nend`);
    assert.equal((await mirror.text(5000, false)).split('\n').length, 102, 'no more history than there is');
    const coloured = new TerminalMirror(20, 3, 1000);
    coloured.write(Buffer.from('\x1b[31mred\x1b[0m\r\n\x1b[?2004hplain\r\nb\r\nc\r\nd'));
    await parsed(coloured);
    assert.equal(await coloured.text(2, true), '\x1b[31mred\r\n\x1b[0mplain\x1b[0m\r\nb\r\nc\r\nd', 'colours, and no modes for a terminal that prints it');
    mirror.dispose();
    coloured.dispose();
  });

  it("gives the screen's lines without trailing blanks, or as shown, up to a cursor that stands after the text", async () => {
    const mirror = new TerminalMirror(20, 3, 100);
    // Written spaces and erased cells alike: a person sees blanks.
    mirror.write(Buffer.from('done   \r\nApply? (y/n) '));
    await parsed(mirror);
    assert.equal(mirror.screenText(), 'done\nApply? (y/n)\n');
    assert.equal(mirror.screenText({ toCursor: true }), 'done\nApply? (y/n) \n');
    // The cursor moved on past blanks the app never wrote.
    mirror.write(Buffer.from('\x1b[3C'));
    await parsed(mirror);
    assert.equal(mirror.screenText({ toCursor: true }), 'done\nApply? (y/n)    \n');
    // A cursor back inside the text ends nothing: the row is its text.
    mirror.write(Buffer.from('\x1b[10D'));
    await parsed(mirror);
    assert.equal(mirror.screenText({ toCursor: true }), 'done\nApply? (y/n)\n');
    // A full row leaves the cursor past its last column.
    mirror.write(Buffer.from(`\r\n${'x'.repeat(20)}`));
    await parsed(mirror);
    assert.equal(mirror.screenText({ toCursor: true }).split('\n')[2], 'x'.repeat(20));
    mirror.dispose();
  });

  it('reads a long history in slices while output goes on, with no line missing, doubled or out of place', async () => {
    for (const ansi of [false, true]) {
      // A full history: the output written meanwhile trims lines off its top. (Little enough
      // that the terminal parses it in one turn, between two of the read's six slices.)
      const mirror = new TerminalMirror(40, 10, 3000);
      mirror.write(Buffer.from(numbered(1, 5000)));
      await parsed(mirror);
      const reading = mirror.text(3000, ansi);
      let parsedMeanwhile = false;
      mirror.write(Buffer.from(numbered(5001, 5300)));
      mirror.afterWrites(() => (parsedMeanwhile = true));
      // (Cursor moves at the end of the coloured screen are not lines.)
      const text = (await reading).replace(/\x1b\[[\d;]*[A-Za-z]/g, '').replace(/\r/g, '').replace(/\n+$/, '');
      assert.ok(parsedMeanwhile, 'the output written during the read was parsed before it finished');
      const { first, last } = consecutive(text);
      assert.equal(last, 5000, 'the screen as it was when asked');
      assert.ok(first > 2000 && first < 5000 - 10, `history above the screen (from line ${first})`);
      mirror.dispose();
    }
  });

  it('reads the history of the main screen even when the app switches to its alternate screen during the read', async () => {
    const mirror = new TerminalMirror(40, 10, 5000);
    mirror.write(Buffer.from(numbered(1, 3000)));
    await parsed(mirror);
    const reading = mirror.text(2500, false);
    mirror.write(Buffer.from('\x1b[?1049h\x1b[Hon the alternate screen'));
    const { first, last } = consecutive((await reading).replace(/\n+$/, ''));
    assert.deepEqual([first, last], [3000 - 9 - 2500 + 1, 3000]);
    mirror.dispose();
  });
});
