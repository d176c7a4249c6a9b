import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { parseTaskFile } from '../../src/core/task-file.js';
import { TaskStore } from '../../src/core/task-store.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

describe("a person's edit saved in place while Orchestra writes the status", () => {
  const root = mkdtempSync(join(scratchDir(), 'orch-race-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('is never lost: the write waits for the save, then keeps both', async () => {
    mkdirSync(join(root, '.orchestra', 'tasks'), { recursive: true });
    const store = new TaskStore(root);
    const task = await store.create('edited', { status: 'draft', base_branch: 'main' }, 'The first description.\n');
    for (let round = 1; round <= 8; round++) {
      const edit = `---\nstatus: draft\nbase_branch: main\nnote: round ${round}\n---\n\nThe description of round ${round}.\n`;
      // As an editor that writes in place: the file is emptied, and its text follows a moment later.
      const fd = openSync(task.path, 'w');
      const written = store.update(task, { status: 'idle' });
      await delay(30);
      writeSync(fd, edit);
      closeSync(fd);
      await written;
      const { data, body } = parseTaskFile(readFileSync(task.path, 'utf8'));
      assert.equal(data.note, `round ${round}`, `round ${round}: the person's front matter is kept`);
      assert.equal(body.trim(), `The description of round ${round}.`, `round ${round}: the person's description is kept`);
      assert.equal(data.status, 'idle', `round ${round}: and the status is written`);
    }
  });

  it('gives up in one sentence on a file that stays empty, and writes nothing', async () => {
    const store = new TaskStore(root);
    const task = await store.create('emptied', { status: 'draft' }, 'Text.\n');
    closeSync(openSync(task.path, 'w'));
    await assert.rejects(store.update(task, { status: 'idle' }), /is empty, as while someone saves it; Orchestra did not write it/);
    assert.equal(readFileSync(task.path, 'utf8'), '');
  });
});
