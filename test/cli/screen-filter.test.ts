import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScreenFilter } from '../../src/cli/screen-filter.js';

function pass(reads: string[]): string {
  const filter = new ScreenFilter('<reset>');
  return reads.map((read) => filter.filter(Buffer.from(read, 'latin1')).toString('latin1')).join('');
}

/** Every way to cut `text` in two reads gives the same result as one read. */
function assertSplitsAlike(text: string, expected: string): void {
  for (let at = 0; at <= text.length; at++) assert.equal(pass([text.slice(0, at), text.slice(at)]), expected, `cut at ${at}`);
}

describe('the screen filter of attach', () => {
  it("drops the agent's screen switches and keeps every other mode", () => {
    assertSplitsAlike('a\x1b[?1049hb\x1b[?47lc\x1b[?1047hd', 'abcd');
    assertSplitsAlike('x\x1b[?1049;2004hy', 'x\x1b[?2004hy');
    assertSplitsAlike('\x1b[?25l\x1b[?2004h\x1b[31mred\x1b[0m\x1b[?1049$p', '\x1b[?25l\x1b[?2004h\x1b[31mred\x1b[0m\x1b[?1049$p');
  });

  it('turns a full reset into its replacement', () => {
    assertSplitsAlike('before\x1bcafter', 'before<reset>after');
  });

  it('passes plain output through untouched, and holds only a cut private-mode sequence', () => {
    const filter = new ScreenFilter('');
    const chunk = Buffer.from('plain output\r\n');
    const out = filter.filter(chunk);
    assert.ok(out.buffer === chunk.buffer && out.byteOffset === chunk.byteOffset && out.length === chunk.length, 'no copy on the common path');
    assert.equal(filter.filter(Buffer.from('x\x1b[3')).toString(), 'x\x1b[3');
    assert.equal(filter.filter(Buffer.from('y\x1b[?10')).toString(), 'y');
    filter.reset();
    assert.equal(filter.filter(Buffer.from('49hz')).toString(), '49hz', 'a snapshot drops what was held');
  });
});
