import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Logger, MAX_LINE_CHARS, MAX_LINES_PER_WINDOW, MAX_LOG_BYTES, WINDOW_MS } from '../../src/daemon/log.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

describe("the daemon's log is bounded", () => {
  const dir = mkdtempSync(join(scratchDir(), 'orch-log-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('cuts long lines and shows control characters escaped', () => {
    const log = new Logger(join(dir, 'a.log'));
    log.warn(`dropping a client: ${'{'.repeat(50_000)}\x1b[2J\x07`);
    log.info('two\nlines');
    const lines = readFileSync(join(dir, 'a.log'), 'utf8').split('\n');
    assert.ok(lines[0]!.length < MAX_LINE_CHARS + 100);
    assert.match(lines[0]!, /… \(\d+ more characters\)$/);
    assert.match(lines[1]!, / info two$/);
    assert.equal(lines[2], '  lines');
    log.error('\x1b]52;c;aGk=\x07');
    assert.match(readFileSync(join(dir, 'a.log'), 'utf8'), /error \\x1b\]52;c;aGk=\\x07\n$/);
  });

  it('writes at most so many lines a window, then says how many it left out (an injected clock)', () => {
    let now = 1_000_000;
    const log = new Logger(join(dir, 'b.log'), () => now);
    for (let i = 0; i < MAX_LINES_PER_WINDOW + 50; i++) log.warn(`flood ${i}`);
    const during = readFileSync(join(dir, 'b.log'), 'utf8').trim().split('\n');
    assert.equal(during.length, MAX_LINES_PER_WINDOW);
    now += WINDOW_MS - 1;
    log.warn('still the same window');
    assert.equal(readFileSync(join(dir, 'b.log'), 'utf8').trim().split('\n').length, MAX_LINES_PER_WINDOW);
    now += 1;
    log.info('next window');
    const after = readFileSync(join(dir, 'b.log'), 'utf8').trim().split('\n');
    assert.match(after.at(-2)!, /warn 51 more lines were left out of this log in 10 s/);
    assert.match(after.at(-1)!, /info next window$/);
  });

  it('moves a full log aside, keeping one', () => {
    const path = join(dir, 'c.log');
    writeFileSync(path, 'x'.repeat(MAX_LOG_BYTES));
    const log = new Logger(path);
    log.info('after the rotation');
    assert.ok(existsSync(`${path}.1`));
    assert.equal(statSync(`${path}.1`).size, MAX_LOG_BYTES);
    assert.match(readFileSync(path, 'utf8'), /^\S+ info after the rotation\n$/);
  });
});
