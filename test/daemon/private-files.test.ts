import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_AGENT_SCRIPT } from '../../src/core/agents/demo.js';
import { Sandbox } from '../helpers/sandbox.js';

/** Issue 15, item 6: what Orchestra keeps for a user is theirs alone, and its daemon's log tells no secrets. */
describe('private by default', () => {
  // The usual umask, which leaves what is made without a mode readable by everyone.
  let umask: number;
  before(() => (umask = process.umask(0o022)));
  after(() => process.umask(umask));

  const sandboxes: Sandbox[] = [];
  const sandbox = () => {
    const made = new Sandbox();
    sandboxes.push(made);
    return made;
  };
  after(async () => {
    for (const made of sandboxes) await made.cleanup();
  });

  describe('after a task was made, started and stopped', () => {
    const box = sandbox();
    let repo: string;
    let entries: Entry[];
    const description = 'Fix the login page: PROMPT-MARKER-7f3a';
    before(async () => {
      repo = box.repo();
      mkdirSync(join(repo, '.orchestra'));
      // An agent that gets its prompt as an argument, as claude and opencode do.
      const prompted = [process.execPath, DEMO_AGENT_SCRIPT, '--prompt-file', '{prompt_file}', '--prompt', '{prompt}'];
      writeFileSync(join(repo, '.orchestra', 'config.yaml'), `agent: prompted\nagents:\n  prompted: { command: ${JSON.stringify(prompted)} }\n`);
      await box.ok(['new', 'login', '-m', description], { cwd: repo });
      // Agents inherit the client's environment: API keys among it.
      await box.ok(['start', '1'], { cwd: repo, env: { SECRET_MARKER: 'ENV-MARKER-91c2' } });
      await box.ok(['stop', '1'], { cwd: repo });
      entries = walk(box.home);
    });
    const open = (list: Entry[]) => list.filter((entry) => entry.mode !== (entry.kind === 'directory' ? 0o700 : 0o600));
    const isData = (entry: Entry) => entry.path === 'data' || entry.path.startsWith('data/');

    it('keeps every directory 0700 and every file and socket 0600: the state (logs, prompts, projects) and the runtime directory', () => {
      assert.ok(entries.some((entry) => entry.kind === 'socket'), "the daemon's socket is among them");
      assert.ok(entries.some((entry) => entry.path.endsWith('prompt.md')), 'the prompt file is among them');
      assert.deepEqual(open(entries.filter((entry) => !isData(entry))), []);
    });

    it('keeps the directories that hold worktrees 0700 (a worktree itself is the repository\'s files, as git makes them)', () => {
      const holders = entries.filter((entry) => isData(entry) && entry.kind === 'directory' && entry.path.split('/').length <= 3);
      assert.deepEqual(holders.map((entry) => entry.path), ['data', 'data/worktrees', holders[2]!.path]);
      assert.deepEqual(open(holders), []);
    });

    it("logs the agent's command without its prompt, in daemon.log and the task's log, and no environment value", async () => {
      const daemonLog = readFileSync(join(box.home, 'state', 'daemon.log'), 'utf8');
      assert.match(daemonLog, /started holder .* --prompt <prompt: \d+ chars>\n/);
      assert.doesNotMatch(daemonLog, /PROMPT-MARKER/);
      assert.doesNotMatch(daemonLog, /ENV-MARKER/);
      const taskLog = await box.ok(['logs', '1'], { cwd: repo });
      assert.match(taskLog, /started agent 'prompted', pid \d+: .* --prompt <prompt: \d+ chars>\n/);
    });
  });

  it('tightens a state directory and files an older Orchestra left open to others, and says so once', async () => {
    const box = sandbox();
    const repo = box.repo();
    const state = join(box.home, 'state');
    mkdirSync(state, { recursive: true });
    chmodSync(state, 0o755);
    writeFileSync(join(state, 'daemon.log'), 'an older daemon was here\n', { mode: 0o644 });
    writeFileSync(join(state, 'projects.json'), `${JSON.stringify(['/elsewhere'])}\n`, { mode: 0o644 });
    await box.ok(['new', 'first', '-m', 'Registers the project'], { cwd: repo });
    await box.ok(['daemon', 'stop']);
    await box.ok(['status'], { cwd: repo });

    for (const [name, mode] of [['.', '700'], ['daemon.log', '600'], ['projects.json', '600']]) {
      assert.equal((lstatSync(join(state, name!)).mode & 0o777).toString(8), mode, name);
    }
    const said = readFileSync(join(state, 'daemon.log'), 'utf8').split('\n').filter((line) => line.includes(`made ${state} private`));
    assert.equal(said.length, 1, 'said once, by whichever process found it open');
    assert.match(said[0]!, /mode 700; it was 755/);
  });
});

interface Entry {
  path: string;
  kind: 'directory' | 'file' | 'socket' | 'other';
  mode: number;
}

/**
 * Every entry below `dir`, `dir` included. A worktree's content is the repository's, with
 * the modes git gives it: only the worktree's own directory is Orchestra's to check.
 */
function walk(dir: string, root = dir): Entry[] {
  const entry: Entry = { path: relative(root, dir) || '.', kind: 'directory', mode: lstatSync(dir).mode & 0o777 };
  const names = readdirSync(dir);
  if (dir !== root && names.includes('.git')) return [entry];
  return [
    entry,
    ...names.flatMap((name) => {
      const path = join(dir, name);
      const stats = lstatSync(path);
      if (stats.isDirectory()) return walk(path, root);
      const kind = stats.isFile() ? 'file' : stats.isSocket() ? 'socket' : 'other';
      return [{ path: relative(root, path), kind, mode: stats.mode & 0o777 } satisfies Entry];
    }),
  ];
}
