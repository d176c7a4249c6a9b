import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { Methods } from '../../protocol/daemon.js';
import { taskWithWork, type TaskWithWork } from '../helpers/tasks.js';
import { FaultWorld, Tally } from './harness.js';

/** Operations that race each other, with no crash: two merges into one base at once, and a person's saves against the daemon's writes. */
test('races', async (t) => {
  const tally = new Tally();
  const world = new FaultWorld(tally);
  await world.startDaemon();
  try {
    await t.test('two merges at once into one base, 6 pairs: both land, both are recorded, nothing is left over', async () => {
      const pairs = 6;
      const tasks: TaskWithWork[] = [];
      // Made a few at a time: each start waits a moment to see that its agent did not exit at once.
      for (let i = 0; i < pairs * 2; i += 6) {
        const batch = Array.from({ length: Math.min(6, pairs * 2 - i) }, (_, j) => `pair-${i + j}`);
        tasks.push(...(await Promise.all(batch.map((slug) => taskWithWork(world.sandbox, world.repo, slug, { [`${slug}.txt`]: `${slug}\n` })))));
      }
      const work = new Map(tasks.map((task) => [Number(task.id), task.commit]));
      for (let pair = 0; pair < pairs; pair++) {
        const both = tasks.slice(pair * 2, pair * 2 + 2);
        const results = await Promise.all(both.map((task) => world.sandbox.run(['merge', task.id, '--cleanup'], { cwd: world.repo })));
        tally.injected++;
        for (const result of results) assert.equal(result.code, 0, `pair ${pair}: ${result.stderr}`);
        await world.holds({ work });
      }
    });

    await t.test("a person's saves in place racing the daemon's status writes (set-status and agents' reports): every save is kept", async () => {
      const task = await world.draft('edited');
      await world.start(task.id);
      const ref = String(task.id);
      const rounds = 40;
      for (let round = 1; round <= rounds; round++) {
        const note = `note: round-${round}`;
        const line = `Round ${round}: edited by hand.`;
        // What the person saves: the file as their editor loaded it, with a note of theirs and a new description.
        const loaded = readFileSync(task.edit.path, 'utf8');
        const front = loaded.slice(0, loaded.indexOf('\n---\n', 4)).replace(/\nnote: .*/g, '');
        const saved = `${front}\n${note}\n---\n\n${line}\n`;
        // As an editor that writes in place: the file is emptied, and its text follows a moment later.
        const fd = openSync(task.edit.path, 'w');
        const write =
          round % 2 === 1
            ? world.request(Methods.setTaskStatus, { ref, status: round % 4 === 1 ? 'idle' : 'running' })
            : world.request(Methods.report, { ref, event: round % 4 === 0 ? 'idle' : 'running' });
        await delay(round % 7);
        writeSync(fd, saved);
        closeSync(fd);
        tally.injected++;
        await write.catch((error: Error) => assert.fail(`round ${round}: the daemon's write failed: ${error.message}`));
        const text = readFileSync(task.edit.path, 'utf8');
        const lost = [note, line].filter((kept) => !text.includes(kept));
        tally.count(lost.map((kept) => ({ kind: 'edit', what: kept })));
        assert.deepEqual(lost, [], `round ${round}: the save was lost:\n${text}`);
      }
      // The agents' reports are written a moment later: the last save outlives them too.
      await world.holds({ edits: [{ path: task.edit.path, lines: [`note: round-${rounds}`, `Round ${rounds}: edited by hand.`] }] });
    });

  } finally {
    await world.cleanup();
  }
  t.diagnostic(tally.line('races'));
});
