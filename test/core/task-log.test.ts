import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GONE_PROJECT_KEPT_MS, pruneGoneProjects, TaskLog } from '../../src/core/task-log.js';
import { projectKey } from '../../src/core/worktree.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

describe('task logs', () => {
  const home = mkdtempSync(join(scratchDir(), 'orch-logs-'));
  const dirs = { runtime: join(home, 'run'), state: join(home, 'state'), config: join(home, 'config'), data: join(home, 'data') };
  after(() => rmSync(home, { recursive: true, force: true }));
  const logOf = (root: string, id: number) => {
    const log = new TaskLog(dirs, root, { id, slug: `task-${id}` });
    log.event('started');
    return log;
  };
  const projectDir = (root: string) => join(dirs.state, 'tasks', projectKey(root));

  it("name their project, and a removed task's directory goes with it, the others stay", () => {
    const root = join(home, 'projects', 'kept');
    const [one, two] = [logOf(root, 1), logOf(root, 2)];
    assert.equal(readFileSync(join(projectDir(root), 'project'), 'utf8'), `${root}\n`);
    one.writePrompt('the prompt');
    one.remove();
    assert.ok(!existsSync(one.dir));
    assert.match(readFileSync(two.path, 'utf8'), /started/);
  });

  it('of a project that is gone are deleted once it has been gone a week, and never while it exists', () => {
    const gone = new Set<string>();
    const prune = (now: number, knownRoots: string[] = []) => pruneGoneProjects(dirs, { knownRoots, now, gone: (root) => gone.has(root) });
    const [staying, leaving, returning] = ['staying', 'leaving', 'returning'].map((name) => join(home, 'projects', name)) as [string, string, string];
    for (const root of [staying, leaving, returning]) logOf(root, 1);
    const start = Date.parse('2026-01-01T00:00:00Z');

    gone.add(leaving).add(returning);
    assert.deepEqual(prune(start), [], 'found gone: noted, kept');
    assert.deepEqual(prune(start + GONE_PROJECT_KEPT_MS - 1), []);
    gone.delete(returning); // Its disk was mounted again.
    assert.deepEqual(prune(start + GONE_PROJECT_KEPT_MS - 1), []);
    gone.add(returning);
    assert.deepEqual(prune(start + GONE_PROJECT_KEPT_MS), [leaving], 'a week later');
    assert.ok(!existsSync(projectDir(leaving)));
    assert.ok(existsSync(projectDir(returning)), 'gone again only since now');
    assert.ok(existsSync(projectDir(staying)));

    // A directory an older Orchestra left without a project file: known projects name it; unknown ones stay.
    const older = join(home, 'projects', 'older');
    logOf(older, 1);
    rmSync(join(projectDir(older), 'project'));
    gone.add(older);
    prune(start);
    assert.deepEqual(prune(start + GONE_PROJECT_KEPT_MS), [], 'not known, kept');
    prune(start, [older]);
    assert.deepEqual(prune(start + GONE_PROJECT_KEPT_MS, [older]), [older]);
    // A project file that names another project than its directory's: kept.
    const odd = join(dirs.state, 'tasks', 'odd-12345678');
    mkdirSync(odd, { recursive: true });
    writeFileSync(join(odd, 'project'), `${leaving}\n`);
    gone.add(leaving).delete(returning);
    prune(start);
    assert.deepEqual(prune(start + 2 * GONE_PROJECT_KEPT_MS), []);
    assert.ok(existsSync(odd));
  });

  it('count a project as gone only when its repository certainly is not there', () => {
    const own = { ...dirs, state: join(home, 'state-real') };
    const root = join(home, 'projects', 'real');
    mkdirSync(join(root, '.git'), { recursive: true });
    new TaskLog(own, root, { id: 1, slug: 'real' }).event('started');
    const now = Date.now();
    const prune = (at: number) => pruneGoneProjects(own, { knownRoots: [], now: at });
    prune(now);
    assert.deepEqual(prune(now + GONE_PROJECT_KEPT_MS), [], 'it exists');
    rmSync(root, { recursive: true });
    prune(now);
    assert.deepEqual(prune(now + GONE_PROJECT_KEPT_MS), [root]);
  });
});
