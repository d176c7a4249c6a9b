import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, Sandbox } from '../helpers/sandbox.js';

describe('many creators at once', () => {
  const sandbox = new Sandbox();
  after(() => sandbox.cleanup());

  it('200 `orchestra new` from 4 processes give 200 distinct ids and 200 intact files', async () => {
    const repo = sandbox.repo();
    // Four shells, each running 50 `orchestra new` one after another; no daemon runs yet, so
    // the first commands also race to start it.
    const workers = [1, 2, 3, 4].map((worker) => {
      const script = `for i in $(seq 1 50); do "${process.execPath}" "${CLI}" new "w${worker}-task-$i" -m "Worker ${worker}, task $i." >/dev/null || exit 1; done`;
      const child = spawn('/bin/sh', ['-c', script], { cwd: repo, env: sandbox.env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      return once(child, 'exit').then(([code]) => assert.equal(code, 0, `worker ${worker}: ${stderr}`));
    });
    await Promise.all(workers);

    const dir = join(repo, '.orchestra', 'tasks');
    const files = readdirSync(dir);
    assert.equal(files.length, 200, 'no temporary or extra files');
    const ids = files.map((f) => Number(f.split(':')[0]));
    assert.equal(new Set(ids).size, 200);
    assert.deepEqual([...ids].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
    for (const file of files) {
      const [, worker, task] = /^\d+:w(\d)-task-(\d+)\.md$/.exec(file)!;
      const text = readFileSync(join(dir, file), 'utf8');
      assert.match(text, new RegExp(`^---\\nbase_branch: main\\nstatus: draft\\ncreated: \\S+\\nupdated: \\S+\\n---\\n\\nWorker ${worker}, task ${task}\\.\\n$`));
    }
    const list = JSON.parse(await sandbox.ok(['status', '--json'], { cwd: repo }));
    assert.equal(list.length, 200);
  });
});
