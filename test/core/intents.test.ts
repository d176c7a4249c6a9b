import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Intents } from '../../src/core/intents.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

describe('intents: what an operation is about to do, for a daemon that dies in the middle', () => {
  const state = mkdtempSync(join(scratchDir(), 'orch-intents-'));
  after(() => rmSync(state, { recursive: true, force: true }));

  it('keeps each operation of a task apart until it is done, privately', () => {
    const intents = new Intents(state);
    const start = intents.record('k-1', { op: 'start', project: '/p', id: 1, branch: 'orchestra/1-a', worktree: '/w' });
    const merge = intents.record('k-1', { op: 'merge', project: '/p', id: 1, base: 'main', commit: 'abc', cleanup: true });
    start.update({ made: { created: true, createdBranch: true } });
    const pending = intents.pending().map(({ intent }) => intent);
    assert.deepEqual(
      pending.map(({ at: _, ...rest }) => rest).sort((a, b) => a.op.localeCompare(b.op)),
      [
        { op: 'merge', project: '/p', id: 1, base: 'main', commit: 'abc', cleanup: true },
        { op: 'start', project: '/p', id: 1, branch: 'orchestra/1-a', worktree: '/w', made: { created: true, createdBranch: true } },
      ],
    );
    assert.equal(statSync(join(state, 'intents')).mode & 0o777, 0o700);
    start.done();
    merge.done();
    assert.deepEqual(intents.pending(), []);
  });

  it('drops what is not an intent of its own', () => {
    const intents = new Intents(state);
    writeFileSync(join(state, 'intents', 'junk.json'), '{"op":"format","project":"/"}');
    writeFileSync(join(state, 'intents', 'half.json'), '{"op":"st');
    assert.deepEqual(intents.pending(), []);
    assert.deepEqual(readdirSync(join(state, 'intents')), []);
  });
});
