import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { userDirs } from '../../src/core/paths.js';
import { holderKey } from '../../src/core/terminals.js';
import { alive, Sandbox, waitFor } from '../helpers/sandbox.js';

/** What the daemon's Orchestra does on the machines people use (issue: macOS, Linux logins). */
describe('the daemon on the machines people use', () => {
  const sandboxes: Sandbox[] = [];
  const sandbox = (options?: { home?: string }) => {
    const made = new Sandbox(options);
    sandboxes.push(made);
    return made;
  };
  after(async () => {
    for (const made of sandboxes) await made.cleanup();
  });
  const realGit = execFileSync('/bin/sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

  it('never signals a stranger: a stale holder record whose pid is now another process leaves that process alone', async () => {
    const box = sandbox();
    const repo = box.repo();
    await box.ok(['new', 'ghost', '-m', 'Ran before a reboot'], { cwd: repo });
    await box.ok(['new', 'older', '-m', 'Recorded by an older Orchestra'], { cwd: repo });
    for (const ref of ['1', '2']) await box.ok(['set-status', ref, 'running'], { cwd: repo });
    await box.ok(['daemon', 'stop']);
    // Strangers that lead their own session and group, as an agent does: the pids the records name now.
    const strangers = [1, 2].map(() => spawn('sleep', ['60'], { detached: true, stdio: 'ignore' }));
    try {
      const holders = join(userDirs(box.env).runtime, 'holders');
      mkdirSync(holders, { recursive: true, mode: 0o700 });
      strangers.forEach((stranger, index) => {
        const id = index + 1;
        const key = holderKey(repo, id);
        const record = {
          protocol: 1,
          key,
          pid: 2 ** 22 + id, // The holder: long gone.
          agent_pid: stranger.pid,
          // The first names the agent as it was (another start); the second knew no start times.
          ...(id === 1 ? { agent_start: 'Mon Jan  1 00:00:00 2024' } : {}),
          task: { id, slug: id === 1 ? 'ghost' : 'older', project: repo },
          agent: 'demo',
          started: '2024-01-01T00:00:00.000Z',
          exit: null,
        };
        writeFileSync(join(holders, `${key}.json`), JSON.stringify(record), { mode: 0o600 });
      });
      // The daemon starts, finds the records, and records those agents as ended.
      const tasks = JSON.parse(await box.ok(['status', '--json'], { cwd: repo }));
      assert.deepEqual(
        tasks.map((t: { status: string; alive: boolean }) => [t.status, t.alive]),
        [
          ['idle', false],
          ['idle', false],
        ],
      );
      assert.match(await box.ok(['logs', '1'], { cwd: repo }), /agent ended: .*its holder was gone when the daemon started/);
      // A hang-up, then a kill after 2 s, is what an orphaned agent of ours would get.
      await delay(2500);
      for (const stranger of strangers) assert.ok(alive(stranger.pid!), `process ${stranger.pid} was left alone`);
      assert.equal(existsSync(join(holders, `${holderKey(repo, 1)}.json`)), false, 'the stale record is cleared');
    } finally {
      for (const stranger of strangers) stranger.kill('SIGKILL');
    }
  });

  it('finds an agent whose socket and record a /tmp cleaner removed: the holder makes them again', async () => {
    const box = sandbox();
    const repo = box.repo();
    mkdirSync(join(repo, '.orchestra'));
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: demo\n');
    // The holder renews its files every 200 ms instead of every half hour.
    const env = { ORCHESTRA_HOLDER_REFRESH_MS: '200' };
    await box.ok(['new', 'long-runner', '-m', 'Runs for days'], { cwd: repo, env });
    await box.ok(['start', '1'], { cwd: repo, env });
    await box.ok(['daemon', 'stop']);
    const holders = join(userDirs(box.env).runtime, 'holders');
    const key = holderKey(repo, 1);
    const [meta, socket] = [join(holders, `${key}.json`), join(holders, `${key}.sock`)];
    const pid = JSON.parse(readFileSync(meta, 'utf8')).pid;
    rmSync(holders, { recursive: true });
    await waitFor(() => existsSync(meta) && existsSync(socket), 'the holder to make its files again');
    assert.equal(JSON.parse(readFileSync(meta, 'utf8')).pid, pid);
    const [task] = JSON.parse(await box.ok(['status', '--json'], { cwd: repo, env }));
    assert.equal(task.alive, true, 'a new daemon finds the agent');
    assert.match(await box.ok(['peek', '1'], { cwd: repo }), /demo agent/i);
    await box.ok(['stop', '1', '--force'], { cwd: repo });
  });

  it('says in one sentence that git is too old, naming the version needed and how to get it', async () => {
    const box = sandbox();
    const repo = box.repo();
    const bin = join(box.root, 'old-git');
    mkdirSync(bin);
    writeFileSync(join(bin, 'git'), `#!/bin/sh\nif [ "$1" = --version ]; then echo "git version 2.37.1 (Apple Git-137.1)"; exit 0; fi\nexec ${realGit} "$@"\n`);
    chmodSync(join(bin, 'git'), 0o755);
    const result = await box.run(['status'], { cwd: repo, env: { PATH: `${bin}:${box.env.PATH}` } });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^orchestra: The daemon did not start; its log \S+daemon\.log says: Orchestra needs git 2\.38 or newer \(for merge-tree --write-tree\), and this one is 2\.37\.1 \(Apple Git-137\.1\); install .*\.\n$/,
    );
  });

  it("runs with the user's environment, not the starting client's: no task variables, the login shell's PATH for a bare one", async () => {
    const box = sandbox();
    const repo = box.repo();
    // A git only the login shell's PATH has, which says what it sees.
    const bin = join(box.root, 'login-bin');
    mkdirSync(bin);
    const seen = join(box.root, 'git-saw.txt');
    writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "task=\${ORCHESTRA_TASK_ID-none} root=\${ORCHESTRA_PROJECT_ROOT-none}" >> ${seen}\nexec ${realGit} "$@"\n`);
    chmodSync(join(bin, 'git'), 0o755);
    const shell = join(box.root, 'login-shell');
    writeFileSync(shell, `#!/bin/sh\n# -l -c COMMAND, as a login shell is asked\nPATH="${bin}:/usr/bin:/bin"; export PATH\nexec /bin/sh -c "$3"\n`);
    chmodSync(shell, 0o755);
    // As an agent's hook run from an app with launchd's PATH would start it.
    const hookEnv = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', SHELL: shell, ORCHESTRA_TASK_ID: '42', ORCHESTRA_PROJECT_ROOT: '/elsewhere' };
    await box.ok(['daemon', 'start'], { cwd: repo, env: hookEnv });
    await box.ok(['new', 'env-check', '-m', 'Which git?'], { cwd: repo });
    const lines = readFileSync(seen, 'utf8').trim().split('\n');
    assert.ok(lines.length > 0);
    assert.deepEqual([...new Set(lines)], ['task=none root=none']);
  });

  it('takes a project reached through a link for the same project, in its on-disk form', async () => {
    const box = sandbox();
    const repo = box.repo();
    const link = join(box.root, 'link-to-repo');
    symlinkSync(repo, link);
    await box.ok(['new', 'through-link', '-m', 'Made through the link'], { cwd: link });
    await box.ok(['new', 'direct', '-m', 'Made directly'], { cwd: join(link, '.') });
    const tasks = JSON.parse(await box.ok(['status', '--json'], { cwd: repo }));
    assert.deepEqual(
      tasks.map((t: { slug: string; project: string }) => [t.slug, t.project]),
      [
        ['through-link', repo],
        ['direct', repo],
      ],
    );
    assert.deepEqual(JSON.parse(await box.ok(['status', '--json'], { cwd: link })).length, 2);
    const status = await box.ok(['daemon', 'status']);
    assert.equal(status.split(repo).length - 1, 1, `one project:\n${status}`);
    assert.ok(!status.includes(link));
  });
});
