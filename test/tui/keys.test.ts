import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKeys } from '../../src/tui/keys.js';

describe('keys', () => {
  const names = (input: string) => parseKeys(input).map((key) => (key.name === 'char' ? key.text : key.name));

  it('reads arrows in both cursor-key modes, editing keys and control keys', () => {
    assert.deepEqual(names('\x1b[A\x1b[B\x1bOA\x1bOB\x1b[5~\x1b[6~\x1b[H\x1b[4~'), ['up', 'down', 'up', 'down', 'pageup', 'pagedown', 'home', 'end']);
    assert.deepEqual(names('\r\x7f\x03\x0c\x1a\t'), ['enter', 'backspace', 'ctrl-c', 'ctrl-l', 'ctrl-z', 'tab']);
  });

  it('reads sequences it has no use for whole, and keeps text as typed', () => {
    assert.deepEqual(names('\x1b[15~j\x1b[1;5Ck\x1c'), ['other', 'j', 'other', 'k', 'other']);
    assert.deepEqual(names('fé✓'), ['f', 'é', '✓']);
    assert.deepEqual(names('\x1b'), ['escape']);
    assert.deepEqual(names('\x1bx'), ['alt'], 'alt-x is not Esc and then x');
    assert.deepEqual(parseKeys('\rhi\x1b[A\x1b[15~\x04').map((key) => key.raw), ['\r', 'h', 'i', '\x1b[A', '\x1b[15~', '\x04'], 'each key keeps its bytes');
  });
});
