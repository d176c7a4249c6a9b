import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import xtermHeadless from '@xterm/headless';
import { ModeTracker } from '../../src/holder/mode-tracker.js';

function track(...writes: string[]): Promise<string> {
  const terminal = new xtermHeadless.Terminal({ cols: 80, rows: 24, allowProposedApi: true });
  const tracker = new ModeTracker(terminal);
  return new Promise((resolve) => terminal.write(writes.join(''), () => resolve(tracker.replay())));
}

describe('the mode tracker', () => {
  it('replays what the serialize addon leaves out', async () => {
    assert.equal(
      await track('\x1b[?1000;1006h', '\x1b[?25l', '\x1b[3 q', '\x1b[>1u\x1b[>13u', '\x1b]0;my title\x07', '\x1b[5;20r'),
      '\x1b[5;20r\x1b[?1006h\x1b[3 q\x1b[>13u\x1b]2;my title\x07\x1b[?25l',
    );
  });

  it('forgets what the app turned off again, and keeps kitty flags per screen', async () => {
    assert.equal(await track('\x1b[?1006h\x1b[?1006l', '\x1b[?25l\x1b[?25h', '\x1b[5;20r\x1b[r', '\x1b[>1u\x1b[<u'), '\x1b[?25h');
    assert.equal(await track('\x1b[>1u', '\x1b[?1049h', '\x1b[>8u', '\x1b[=2;2u'), '\x1b[>10u\x1b[?25h', 'the alternate screen has its own flags');
    assert.equal(await track('\x1b[>1u', '\x1b[?1049h', '\x1b[>8u', '\x1b[?1049l'), '\x1b[>1u\x1b[?25h', 'back on the main screen, its flags');
  });
});
