import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fittedWidths, table, truncate, visibleLength } from '../../src/cli/output.js';
import { columnsOf, cutToColumns, printable, terminalSafe, terminalSafeFields } from '../../src/client/text.js';

describe('text on a terminal', () => {
  it('counts columns: two for wide characters, none for combining marks', () => {
    assert.equal(columnsOf('abc'), 3);
    assert.equal(columnsOf('日本語'), 6);
    assert.equal(columnsOf('e\u0301'), 1);
    assert.equal(cutToColumns('日本語のテキスト', 5), '日本');
    assert.equal(visibleLength('\x1b[31m日本\x1b[0m'), 4);
    assert.equal(truncate('日本語のテキスト', 7), '日本語…');
  });

  it('fits table columns to a width: the widest cells of the other columns are cut before the last column', () => {
    assert.deepEqual(fittedWidths([2, 10, 30], 80), [2, 10, 30], 'what fits stays');
    // 80 columns, 4 gaps, the last keeps 26: 46 for the rest, the two narrow ones keep theirs.
    assert.deepEqual(fittedWidths([2, 64, 8, 40, 50], 80), [2, 18, 8, 18, 50]);
    assert.deepEqual(fittedWidths([30, 30, 30], 12), [2, 2, 30], 'never below one character and its ellipsis');
    const lines = table(
      [
        ['1', 'short', '\x1b[32m● 1 viewer\x1b[0m', 'Title one'],
        ['2', 'x'.repeat(60), '', 'Title two'],
      ],
      { width: 40 },
    );
    assert.deepEqual(lines.map(visibleLength), [40, 40]);
    assert.equal(lines[1], `2  ${'x'.repeat(13)}…${' '.repeat(12)}  Title two`);
    assert.match(lines[0]!, /^1  short {11}\x1b\[32m● 1 viewer\x1b\[0m  Title one$/, 'colours kept, padded by what shows');
  });

  it('makes text from elsewhere safe for one row', () => {
    assert.equal(printable('\x1b[2J\x1b[Hcleared\x1b[31m red\x1b[0m'), 'cleared red');
    assert.equal(printable('Installing [##   ]\rInstalling [#####]'), 'Installing [#####]');
    assert.equal(printable('a\tb\x07c\x1b]0;title\x07d'), 'a bcd');
    assert.equal(printable('ends with a return\r\n'), 'ends with a return');
  });

  it('shows the control characters of untrusted text as escapes, never obeyed and never dropped', () => {
    // Clipboard write (OSC 52), window title (OSC 2), clear screen, a C1 CSI, BEL, DEL, NUL.
    assert.equal(terminalSafe('a\x1b]52;c;aGk=\x07b'), 'a\\x1b]52;c;aGk=\\x07b');
    assert.equal(terminalSafe('\x1b]2;title\x1b\\\x1b[2J'), '\\x1b]2;title\\x1b\\\\x1b[2J');
    assert.equal(terminalSafe('\x9b31mred\x7f\x00\x85'), '\\x9b31mred\\x7f\\x00\\x85');
    // Bidi overrides and isolates reorder what follows them: shown too; other text is untouched.
    assert.equal(terminalSafe('abc\u202egnp.exe\u2066x\u2069'), 'abc\\u202egnp.exe\\u2066x\\u2069');
    assert.equal(terminalSafe('日本語 é ‐ \\x1b'), '日本語 é ‐ \\x1b');
  });

  it('keeps one row in one row, and the lines and tabs of a multi-line text', () => {
    assert.equal(terminalSafe('one\ttwo\nthree\r\nfour\roverwritten'), 'one\\ttwo\\nthree\\r\\nfour\\roverwritten');
    assert.equal(terminalSafe('one\ttwo\nthree\r\nfour\roverwritten\x1b[2J\x0b\x0c\b', { multiline: true }), 'one\ttwo\nthree\r\nfour\\roverwritten\\x1b[2J\\x0b\\x0c\\x08');
    assert.equal(terminalSafe('ends with a return\r', { multiline: true }), 'ends with a return\\r');
  });

  it('makes every text field of a record safe, and leaves the rest alone', () => {
    const task = { id: 1, title: 'ti\x1b[2J', agent: 'a\u202eb', waiting: null, extra: { key: '\x07' } };
    assert.deepEqual(terminalSafeFields(task), { id: 1, title: 'ti\\x1b[2J', agent: 'a\\u202eb', waiting: null, extra: { key: '\x07' } });
    assert.equal(task.title, 'ti\x1b[2J', 'the record itself is unchanged');
  });
});
