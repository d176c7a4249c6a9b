import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DetachKeyMatcher, parseDetachKey } from '../../src/cli/detach-key.js';
import { UsageError } from '../../src/core/errors.js';

/** Feeds reads one by one; returns what reached the agent (flushing held bytes at the end) and whether it detached. */
function feed(reads: string[], key = 'ctrl-\\'): { sent: string; detach: boolean } {
  const matcher = new DetachKeyMatcher(parseDetachKey(key));
  let sent = '';
  for (const read of reads) {
    const { before, detach } = matcher.scan(read);
    sent += before;
    if (detach) return { sent, detach };
  }
  return { sent: sent + matcher.flush(), detach: false };
}

describe('the detach key', () => {
  it('is matched as 0x1c, kitty CSI 92;5u (with lock bits, not on release) and modifyOtherKeys', () => {
    assert.deepEqual(feed(['ab\x1ccd']), { sent: 'ab', detach: true });
    assert.deepEqual(feed(['a\x1b[92;5u']), { sent: 'a', detach: true });
    assert.deepEqual(feed(['\x1b[92;69u']), { sent: '', detach: true }, 'caps lock');
    assert.deepEqual(feed(['\x1b[92;133:2u']), { sent: '', detach: true }, 'num lock, a repeat');
    assert.deepEqual(feed(['\x1b[92;5:3u']), { sent: '\x1b[92;5:3u', detach: false }, 'a key release is not a press');
    assert.deepEqual(feed(['\x1b[27;5;92~']), { sent: '', detach: true });
    assert.deepEqual(feed(['\x1b[92;6u']), { sent: '\x1b[92;6u', detach: false }, 'ctrl-shift is another key');
  });

  it('is found when a read splits its sequence, and a paste marker split across reads still counts', () => {
    assert.deepEqual(feed(['x\x1b[9', '2;5u']), { sent: 'x', detach: true });
    assert.deepEqual(feed(['\x1b[20', '0~pasted \x1c text\x1b[2', '01~', '\x1c']), { sent: '\x1b[200~pasted \x1c text\x1b[201~', detach: true });
  });

  it('lets a lone ESC through once nothing follows, and arrow keys untouched', () => {
    assert.deepEqual(feed(['\x1b']), { sent: '\x1b', detach: false });
    assert.deepEqual(feed(['\x1b[A\x1bOB']), { sent: '\x1b[A\x1bOB', detach: false });
  });

  it('can be another key, or none; ctrl-[ (ESC) is refused', () => {
    assert.deepEqual(feed(['a\x1d'], 'ctrl-]'), { sent: 'a', detach: true });
    assert.deepEqual(feed(['\x1c'], 'ctrl-]'), { sent: '\x1c', detach: false });
    assert.deepEqual(feed(['\x1c\x1b[92;5u'], 'none'), { sent: '\x1c\x1b[92;5u', detach: false });
    assert.throws(() => parseDetachKey('ctrl-['), UsageError);
    assert.throws(() => parseDetachKey('alt-x'), /is not a detach key/);
  });
});
