import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { currentBranch, findProjectRoot, gitProblem } from '../../src/core/git.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('finding the project', () => {
  let dir: string;
  let repo: string;

  before(() => {
    dir = realpathSync(mkdtempSync(join(scratchDir(), 'orch-git-')));
    repo = join(dir, 'repo');
    git(dir, 'init', '-q', '-b', 'main', repo);
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'init');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is the main checkout from its root and any subdirectory', async () => {
    mkdirSync(join(repo, 'a', 'b'), { recursive: true });
    assert.equal(await findProjectRoot(repo), repo);
    assert.equal(await findProjectRoot(join(repo, 'a', 'b')), repo);
  });

  it('is the main checkout from inside a linked worktree', async () => {
    const worktree = join(dir, 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'side', worktree);
    mkdirSync(join(worktree, 'deep'));
    assert.equal(await findProjectRoot(join(worktree, 'deep')), repo);
    assert.equal(await currentBranch(worktree), 'side');
  });

  it('is the submodule\'s own checkout inside a submodule (answered by git)', async () => {
    const sub = join(dir, 'sub-origin');
    git(dir, 'init', '-q', '-b', 'main', sub);
    git(sub, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'init');
    git(repo, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'vendor/sub');
    assert.equal(await findProjectRoot(join(repo, 'vendor', 'sub')), join(repo, 'vendor', 'sub'));
  });

  it('explains a directory outside any repository, a bare repository and a missing directory', async () => {
    const outside = join(dir, 'plain');
    mkdirSync(outside);
    // GIT_CEILING_DIRECTORIES keeps git from finding a repository above the temp directory.
    process.env.GIT_CEILING_DIRECTORIES = dir;
    try {
      await assert.rejects(findProjectRoot(outside), { message: `${outside} is not inside a git repository; run orchestra inside one (or 'git init' first).` });
      const bare = join(dir, 'bare.git');
      git(dir, 'init', '-q', '--bare', bare);
      await assert.rejects(findProjectRoot(bare), /is a bare git repository; Orchestra needs a checkout/);
    } finally {
      delete process.env.GIT_CEILING_DIRECTORIES;
    }
    await assert.rejects(findProjectRoot(join(dir, 'nope')), /The directory .*nope does not exist\./);
    writeFileSync(join(dir, 'file'), '');
    await assert.rejects(findProjectRoot(join(dir, 'file')), /does not exist/);
  });

  it('knows the current branch, also before the first commit, and none when detached', async () => {
    const fresh = join(dir, 'fresh');
    git(dir, 'init', '-q', '-b', 'trunk', fresh);
    assert.equal(await currentBranch(fresh), 'trunk');
    git(repo, 'checkout', '-q', '--detach');
    assert.equal(await currentBranch(repo), null);
    git(repo, 'checkout', '-q', 'main');
  });
});

describe('the git version', () => {
  it('2.38 and newer will do, whatever the build adds to the line', () => {
    for (const line of ['git version 2.38.0\n', 'git version 2.39.5\n', 'git version 2.50.1 (Apple Git-155)\n', 'git version 3.0.0\n', 'git version 2.45.2.windows.1\n']) {
      assert.equal(gitProblem(line, 'linux'), undefined, line);
    }
  });

  it('older ones get one sentence naming the version needed and how to get a newer one on this platform', () => {
    const mac = gitProblem('git version 2.37.1 (Apple Git-137.1)\n', 'darwin');
    assert.equal(
      mac,
      "Orchestra needs git 2.38 or newer (for merge-tree --write-tree), and this one is 2.37.1 (Apple Git-137.1); install git from Homebrew ('brew install git') and make sure its directory comes first on PATH (which git).",
    );
    assert.match(gitProblem('git version 2.30.2\n', 'linux')!, /this one is 2\.30\.2; install a newer git from your distribution's backports/);
    assert.match(gitProblem('git version 1.9.9\n', 'linux')!, /^Orchestra needs git 2\.38 or newer/);
  });

  it('no git at all is said too; a line in an unknown form is left to git itself', () => {
    assert.match(gitProblem(undefined, 'darwin')!, /^Orchestra needs git 2\.38 or newer, and there is no git on PATH; install git from Homebrew/);
    assert.equal(gitProblem('git, some future wording\n', 'linux'), undefined);
  });
});
