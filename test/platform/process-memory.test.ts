import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { processMemory } from '../../src/platform/process-memory.js';

describe('process memory (bench/)', () => {
  it('Linux: RSS and PSS from smaps_rollup', () => {
    const probe = { readFile: () => 'Rss:               20480 kB\nPss:               10240 kB\n', psRss: () => assert.fail('no ps on Linux') };
    assert.deepEqual(processMemory(7, 'linux', probe), { rss: 20, pss: 10 });
  });

  it('macOS: RSS from ps (KiB), standing for PSS too', () => {
    const probe = { readFile: () => assert.fail('no /proc on macOS'), psRss: () => ' 51200\n' };
    assert.deepEqual(processMemory(7, 'darwin', probe), { rss: 50, pss: 50 });
    assert.throws(() => processMemory(7, 'darwin', { ...probe, psRss: () => '' }), /ps gave no memory for process 7/);
  });

  it('this machine: its own process', () => {
    const { rss, pss } = processMemory(process.pid);
    assert.ok(rss > 1 && pss > 0 && pss <= rss);
  });
});
