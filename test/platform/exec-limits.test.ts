import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execLimits, execOverflow, fitsOneArgument } from '../../src/platform/exec-limits.js';

describe('what a program may be given when it starts', () => {
  it('Linux: 128 KiB in one string, 2 MiB in all', () => {
    const linux = execLimits('linux');
    assert.deepEqual(linux, { perString: 131072, total: 2097152 });
    assert.equal(fitsOneArgument('x'.repeat(131071), linux), true);
    assert.equal(fitsOneArgument('x'.repeat(131072), linux), false, 'with its NUL, one byte too many');
    assert.equal(fitsOneArgument('é'.repeat(70_000), linux), false, 'bytes, not characters');
    assert.match(execOverflow(['agent'], { BIG: 'x'.repeat(140_000) }, linux)!, /^the environment variable BIG is 140005 bytes, and this system takes at most 131072 in one$/);
    assert.match(execOverflow(['agent', 'y'.repeat(140_000)], {}, linux)!, /^an argument is 140001 bytes/);
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`V${i}`, 'x'.repeat(120_000)]));
    assert.match(execOverflow(['agent'], many, linux)!, /^its arguments and environment come to \d+ bytes, and this system takes at most 2097152$/);
    assert.equal(execOverflow(['agent', 'x'.repeat(100_000)], { PATH: '/usr/bin' }, linux), undefined);
  });

  it('macOS: no limit per string, 1 MiB in all', () => {
    const mac = execLimits('darwin');
    assert.deepEqual(mac, { perString: undefined, total: 1048576 });
    assert.equal(fitsOneArgument('x'.repeat(131071), mac), true);
    assert.equal(fitsOneArgument('x'.repeat(131072), mac), false, 'an eighth of the whole, so the environment fits beside it');
    assert.equal(execOverflow(['agent'], { BIG: 'x'.repeat(500_000) }, mac), undefined, 'one long string is fine');
    assert.match(execOverflow(['agent', 'x'.repeat(600_000)], { BIG: 'x'.repeat(500_000) }, mac)!, /at most 1048576$/);
  });

  it('the BSDs: 256 KiB in all', () => {
    const bsd = execLimits('freebsd');
    assert.deepEqual(bsd, { perString: undefined, total: 262144 });
    assert.equal(fitsOneArgument('x'.repeat(32_767), bsd), true);
    assert.equal(fitsOneArgument('x'.repeat(32_768), bsd), false);
  });
});
