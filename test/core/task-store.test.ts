import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OrchestraError, UsageError } from '../../src/core/errors.js';
import { TaskStore } from '../../src/core/task-store.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

describe('task store', () => {
  let root: string;
  let store: TaskStore;

  before(() => {
    root = mkdtempSync(join(scratchDir(), 'orch-store-'));
    store = new TaskStore(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('lists nothing for a project without tasks', async () => {
    assert.deepEqual(await store.list(), { tasks: [], problems: [] });
  });

  it('never gives out the id of a removed task again', async () => {
    const own = new TaskStore(mkdtempSync(join(root, 'ids-')));
    await own.create('one', { status: 'draft' }, 'x\n');
    const two = await own.create('two', { status: 'draft' }, 'x\n');
    await own.remove(two);
    assert.equal((await own.create('three', { status: 'draft' }, 'x\n')).id, 3);
    assert.equal((await own.list()).tasks.length, 2, 'the record of removed ids is not a task');
  });

  it('gives concurrent creators distinct ids and complete files', async () => {
    const created = await Promise.all(Array.from({ length: 30 }, (_, i) => store.create(`task-${i}`, { status: 'draft', base_branch: 'main' }, `Task ${i}\n`)));
    const ids = created.map((t) => t.id).sort((a, b) => a - b);
    assert.deepEqual(ids, Array.from({ length: 30 }, (_, i) => i + 1));
    const { tasks } = await store.list();
    assert.equal(tasks.length, 30);
    for (const task of tasks) assert.equal(task.description, `Task ${task.slug.slice(5)}\n`);
  });

  it('skips ids a person used for a file by hand', async () => {
    writeFileSync(join(store.dir, '40:by-hand.md'), '---\nstatus: idle\n---\nHand made\n');
    const task = await store.create('after-hand', { status: 'draft' }, 'x');
    assert.equal(task.id, 41);
  });

  it('refuses a second task with the same slug', async () => {
    await assert.rejects(store.create('by-hand', { status: 'draft' }, 'x'), /exists already \(40:by-hand\)/);
  });

  it('resolves id, slug and id:slug, and explains unknown and ambiguous references', async () => {
    assert.equal((await store.resolve('40')).slug, 'by-hand');
    assert.equal((await store.resolve('by-hand')).id, 40);
    assert.equal((await store.resolve('40:by-hand')).id, 40);
    await assert.rejects(store.resolve('40:other'), /There is no task 40:other; task 40 is 40:by-hand/);
    await assert.rejects(store.resolve('by-hnad'), /did you mean 40:by-hand\?/);
    await assert.rejects(store.resolve('999'), (e: Error) => e instanceof OrchestraError && e.exitCode === 1 && /^There is no task 999; the ids run from 1 to \d+/.test(e.message));
    writeFileSync(join(store.dir, '40:twin.md'), '---\nstatus: draft\n---\n');
    await assert.rejects(store.resolve('40'), (e: Error) => e instanceof UsageError && /ambiguous: it names 40:by-hand, 40:twin/.test(e.message));
    rmSync(join(store.dir, '40:twin.md'));
  });

  it('reports a broken file by path and reason while the others list fine', async () => {
    const broken = join(store.dir, '50:broken.md');
    writeFileSync(broken, '---\nstatus: [nope\n---\n');
    writeFileSync(join(store.dir, '51:bad-status.md'), '---\nstatus: finished\n---\n');
    writeFileSync(join(store.dir, 'notes.md'), 'not a task\n');
    const { tasks, problems } = await store.list();
    assert.equal(tasks.length, 32);
    assert.deepEqual(
      problems.map((p) => [p.path.slice(store.dir.length + 1), p.reason.split(': ')[0]]),
      [
        ['50:broken.md', 'invalid YAML in the front matter at line 2'],
        ['51:bad-status.md', "status 'finished' is not one of draft, running, idle, completed, reviewed"],
        ['notes.md', 'the file name is not <id>:<slug>.md (for example 3:fix-tests.md)'],
      ],
    );
    await assert.rejects(store.create('broken', { status: 'draft' }, 'x'), /A task named 'broken' exists already \(50:broken\)/);
    assert.equal(await store.resolvePath('50'), broken, 'an unreadable file can still be found to repair it');
    await assert.rejects(store.resolve('50'), new RegExp(`Task 50 cannot be read: ${broken}: invalid YAML in the front matter at line 2`));
    const next = await store.create('after-broken', { status: 'draft' }, 'x');
    assert.equal(next.id, 52, 'a broken file still holds its id');
    rmSync(broken);
    rmSync(join(store.dir, '51:bad-status.md'));
    rmSync(join(store.dir, 'notes.md'));
  });

  it('updates a task without losing an edit made since it was read', async () => {
    const task = await store.resolve('by-hand');
    writeFileSync(task.path, readFileSync(task.path, 'utf8').replace('Hand made', 'Hand made, then edited'));
    const updated = await store.update(task, { status: 'completed' });
    assert.equal(updated.status, 'completed');
    assert.match(updated.description, /then edited/);
    assert.ok(updated.updated);
  });

  it('sees files changed behind its back (the cache follows the file)', async () => {
    const task = await store.resolve('task-1');
    writeFileSync(task.path, '---\nstatus: reviewed\nbase_branch: main\n---\nRewritten\n');
    const again = await store.resolve('task-1');
    assert.equal(again.status, 'reviewed');
    assert.equal(again.description, 'Rewritten\n');
  });

  it('removes a task file and leaves no temporary files behind', async () => {
    const task = await store.resolve('task-2');
    await store.remove(task);
    await assert.rejects(store.resolve('task-2'), /There is no task 'task-2'/);
    mkdirSync(store.dir, { recursive: true });
    const { readdirSync } = await import('node:fs');
    assert.deepEqual(readdirSync(store.dir).filter((n) => n.endsWith('.tmp')), []);
    assert.equal(readFileSync(join(store.dir, '.removed'), 'utf8'), `${task.id}\n`, 'the removed id is remembered');
  });
});
