import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OrchestraStatusPlugin } from '../../src/hooks/opencode-plugin.js';
import { waitFor } from '../helpers/sandbox.js';

describe("Orchestra's OpenCode plugin", () => {
  const dir = mkdtempSync(join(tmpdir(), 'orch-plugin-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes on what the top-level session does, and every question, once per change and in order', async () => {
    const calls = join(dir, 'calls');
    // Stands in for `orchestra hook`: notes the event and the JSON it was given.
    const recorder = `let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => require('fs').appendFileSync(${JSON.stringify(calls)}, process.argv[1] + ' ' + s + '\\n'));`;
    process.env.ORCHESTRA_HOOK_COMMAND = JSON.stringify([process.execPath, '-e', recorder]);
    const plugin = await OrchestraStatusPlugin();
    delete process.env.ORCHESTRA_HOOK_COMMAND;
    const event = (type: string, properties: Record<string, unknown>) => plugin.event!({ event: { type, properties } });
    const status = (sessionID: string, type: string) => event('session.status', { sessionID, status: { type } });

    await event('session.created', { info: { id: 'main' } });
    await status('main', 'busy');
    await status('main', 'busy'); // OpenCode repeats it through a turn.
    await event('session.created', { info: { id: 'sub', parentID: 'main' } });
    await status('sub', 'busy'); // A sub-agent working and finishing is inside the main turn.
    await status('sub', 'idle');
    await event('permission.asked', { id: 'p1', sessionID: 'sub', permission: 'bash', patterns: ['ls'] });
    await event('permission.replied', { sessionID: 'sub', requestID: 'p1', reply: 'once' });
    await event('message.part.updated', { part: {} }); // Says nothing of the status.
    await status('main', 'idle');

    const expected = [
      'session.status {"sessionID":"main","status":{"type":"busy"}}',
      'permission.asked {"id":"p1","sessionID":"sub","permission":"bash","patterns":["ls"]}',
      'permission.replied {"sessionID":"sub","requestID":"p1","reply":"once"}',
      'session.status {"sessionID":"main","status":{"type":"idle"}}',
    ];
    const lines = () => {
      try {
        return readFileSync(calls, 'utf8').trim().split('\n');
      } catch {
        return [];
      }
    };
    await waitFor(() => lines().length >= expected.length, 'the hooks to run');
    assert.deepEqual(lines(), expected);
  });

  it('does nothing outside an agent Orchestra started', async () => {
    delete process.env.ORCHESTRA_HOOK_COMMAND;
    assert.deepEqual(await OrchestraStatusPlugin(), {});
  });
});
