import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, git, Sandbox, waitFor } from '../helpers/sandbox.js';

/**
 * What an agent reaches with the credentials Orchestra gives it (ORCHESTRA_TOKEN with its
 * socket, through the CLI, its hooks and the MCP server) is its own project; the person's
 * own commands reach every project.
 */
describe("an agent's credentials", () => {
  const sandbox = new Sandbox();
  let mine: string;
  let other: string;
  const out = (name: string) => join(sandbox.root, name);

  before(async () => {
    mine = sandbox.repo('mine');
    other = sandbox.repo('other');
    await sandbox.ok(['new', 'secret-plans', '-m', 'Another project'], { cwd: other });
    // An agent that tries Orchestra's CLI on its own project, on every project and on the other one.
    const cli = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)}`;
    const probe = [
      `${cli} status --json > ${out('own.txt')} 2>&1; echo "exit $?" >> ${out('own.txt')}`,
      `${cli} status --all > ${out('all.txt')} 2>&1; echo "exit $?" >> ${out('all.txt')}`,
      `cd ${other} && ${cli} complete 1 > ${out('other.txt')} 2>&1; echo "exit $?" >> ${out('other.txt')}`,
      `${cli} daemon status > ${out('daemon.txt')} 2>&1; echo "exit $?" >> ${out('daemon.txt')}`,
      `touch ${out('done')}`,
      'exec sleep 300',
    ].join('; ');
    mkdirSync(join(mine, '.orchestra'));
    writeFileSync(join(mine, '.orchestra', 'config.yaml'), `agent: prober\nagents:\n  prober: { command: ${JSON.stringify(['/bin/sh', '-c', probe])}, idle_after: 600 }\n`);
    git(mine, 'add', '.');
    git(mine, 'commit', '-q', '-m', 'config');
    await sandbox.ok(['new', 'probe', '-m', 'Look around'], { cwd: mine });
    await sandbox.ok(['start', '1'], { cwd: mine });
    await waitFor(() => existsSync(out('done')), 'the agent to try', 60_000).catch(async (error) => {
      throw new Error(`${(error as Error).message}; its log:\n${await sandbox.run(['logs', '1'], { cwd: mine }).then((r) => r.stdout + r.stderr)}`);
    });
  });
  after(() => sandbox.cleanup());

  it('reach its own project', () => {
    const own = readFileSync(out('own.txt'), 'utf8');
    assert.match(own, /exit 0\n$/);
    assert.deepEqual(JSON.parse(own.replace(/exit 0\n$/, '')).map((t: { ref: string }) => t.ref), ['1:probe']);
  });

  it('are refused every project, another project and the daemon, in one sentence each, and change nothing', async () => {
    assert.match(readFileSync(out('all.txt'), 'utf8'), /^orchestra: An agent's Orchestra credentials \(ORCHESTRA_TOKEN\) reach only its own project \S+mine, and this asks for every project; .*\nexit 1\n$/);
    assert.match(readFileSync(out('other.txt'), 'utf8'), /^orchestra: An agent's Orchestra credentials .* reach only its own project \S+mine, and \S+other is another; .*\nexit 1\n$/);
    assert.match(readFileSync(out('daemon.txt'), 'utf8'), /the daemon's status lists every project.*\nexit 1\n$/s);
    assert.equal(JSON.parse(await sandbox.ok(['show', '1', '--json'], { cwd: other })).status, 'draft', 'the other task is untouched');
  });

  it('the person reaches everything; a token that is not the project\'s is refused', async () => {
    const all = JSON.parse(await sandbox.ok(['status', '--all', '--json']));
    assert.deepEqual(all.map((t: { slug: string }) => t.slug).sort(), ['probe', 'secret-plans']);
    const forged = await sandbox.run(['status'], { cwd: other, env: { ORCHESTRA_TOKEN: 'f'.repeat(64), ORCHESTRA_PROJECT_ROOT: other } });
    assert.equal(forged.code, 1);
    assert.match(forged.stderr, /^orchestra: The ORCHESTRA_TOKEN in this environment does not belong to its ORCHESTRA_PROJECT_ROOT/);
  });

  it('the MCP server Orchestra gives the agent works in its project and not beyond', async () => {
    // The agent's environment, as its MCP server gets it (agents.ts: MCP_SCOPE).
    const token = await tokenOfAgent();
    const env = { ...sandbox.env, ORCHESTRA_PROJECT_ROOT: mine, ORCHESTRA_TASK_ID: '1', ORCHESTRA_TOKEN: token } as Record<string, string>;
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env, cwd: sandbox.root, stderr: 'pipe' }));
    try {
      const listed = (await client.callTool({ name: 'list_tasks', arguments: {} })) as { content: { text: string }[]; isError?: boolean };
      const text = listed.content.map((c) => c.text).join('\n');
      assert.match(text, /1:probe/);
      assert.doesNotMatch(text, /secret-plans/);
    } finally {
      await client.close();
    }
  });

  /** The token the agent got: the setup of a second start writes its environment out. */
  async function tokenOfAgent(): Promise<string> {
    writeFileSync(join(mine, '.orchestra', 'setup.sh'), `#!/bin/sh\necho "$ORCHESTRA_TOKEN" > ${out('token.txt')}\n`, { mode: 0o755 });
    await sandbox.ok(['new', 'token', '-m', 'Show the token'], { cwd: mine });
    await sandbox.ok(['start', '2'], { cwd: mine });
    await sandbox.ok(['stop', '2', '--force'], { cwd: mine });
    return readFileSync(out('token.txt'), 'utf8').trim();
  }
});
