import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { truncate, visibleLength } from '../../src/cli/output.js';
import { columnsOf, cutToColumns, printable } from '../../src/client/text.js';

describe('text on a terminal', () => {
  it('counts columns: two for wide characters, none for combining marks', () => {
    assert.equal(columnsOf('abc'), 3);
    assert.equal(columnsOf('日本語'), 6);
    assert.equal(columnsOf('e\u0301'), 1);
    assert.equal(cutToColumns('日本語のテキスト', 5), '日本');
    assert.equal(visibleLength('\x1b[31m日本\x1b[0m'), 4);
    assert.equal(truncate('日本語のテキスト', 7), '日本語…');
  });

  it('makes text from elsewhere safe for one row', () => {
    assert.equal(printable('\x1b[2J\x1b[Hcleared\x1b[31m red\x1b[0m'), 'cleared red');
    assert.equal(printable('Installing [##   ]\rInstalling [#####]'), 'Installing [#####]');
    assert.equal(printable('a\tb\x07c\x1b]0;title\x07d'), 'a bcd');
    assert.equal(printable('ends with a return\r\n'), 'ends with a return');
  });
});
