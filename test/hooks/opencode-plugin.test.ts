import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OrchestraStatusPlugin } from '../../src/hooks/opencode-plugin.js';
import { waitFor } from '../helpers/sandbox.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

describe("Orchestra's OpenCode plugin", () => {
  const dir = mkdtempSync(join(scratchDir(), 'orch-plugin-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reports a person's prompts, what the top-level session does, and every question, once per change and in order", async () => {
    // Stands in for the daemon: notes each task.report and answers it.
    const reports: string[] = [];
    const socket = join(dir, 'daemon.sock');
    const daemon = createServer((connection) => {
      let text = '';
      connection.on('data', (chunk) => {
        text += chunk;
        const body = text.slice(text.indexOf('\r\n\r\n') + 4);
        if (!text.includes('\r\n\r\n') || Buffer.byteLength(body) < Number(/Content-Length: (\d+)/.exec(text)![1])) return;
        const request = JSON.parse(body);
        const { cwd, ref, event, data, at } = request.params;
        assert.deepEqual([request.method, cwd, ref, typeof at], ['task.report', '/repo', '3', 'number']);
        reports.push(`${event} ${JSON.stringify(data)}`);
        const reply = JSON.stringify({ jsonrpc: '2.0', id: request.id, result: null });
        connection.end(`Content-Length: ${reply.length}\r\n\r\n${reply}`);
      });
    });
    await new Promise<void>((resolve) => daemon.listen(socket, resolve));
    Object.assign(process.env, { ORCHESTRA_SOCKET: socket, ORCHESTRA_TASK_ID: '3', ORCHESTRA_PROJECT_ROOT: '/repo' });
    const plugin = await OrchestraStatusPlugin();
    for (const name of ['ORCHESTRA_SOCKET', 'ORCHESTRA_TASK_ID', 'ORCHESTRA_PROJECT_ROOT']) delete process.env[name];
    const event = (type: string, properties: Record<string, unknown>) => plugin.event!({ event: { type, properties } });
    const status = (sessionID: string, type: string) => event('session.status', { sessionID, status: { type } });

    await event('session.created', { info: { id: 'main' } });
    const prompt = { info: { id: 'm1', sessionID: 'main', role: 'user', summary: { diffs: [] } } };
    await event('message.updated', prompt);
    await event('message.updated', prompt); // Updated as it goes: one prompt.
    await event('message.updated', { info: { id: 'm0', sessionID: 'main', role: 'user' } }); // An older one, updated again.
    await event('message.updated', { info: { id: 'm2', sessionID: 'main', role: 'assistant' } });
    await status('main', 'busy');
    await status('main', 'busy'); // OpenCode repeats it through a turn.
    await event('session.created', { info: { id: 'sub', parentID: 'main' } });
    await event('message.updated', { info: { id: 'm3', sessionID: 'sub', role: 'user' } }); // The main agent's prompt to its sub-agent.
    await status('sub', 'busy'); // A sub-agent working and finishing is inside the main turn.
    await status('sub', 'idle');
    await event('permission.asked', { id: 'p1', sessionID: 'sub', permission: 'bash', patterns: ['ls'] });
    await status('main', 'busy'); // Still busy while the permission is pending: no news.
    await event('permission.replied', { sessionID: 'sub', requestID: 'p1', reply: 'once' });
    await event('message.part.updated', { part: {} }); // Says nothing of the status.
    await status('main', 'idle');

    // Of each event, only the fields src/core/agents/opencode.ts reads go on.
    const expected = [
      'message.updated {"info":{"role":"user"}}',
      'session.status {"status":{"type":"busy"}}',
      'permission.asked {"permission":"bash","patterns":["ls"]}',
      'permission.replied {}',
      'session.status {"status":{"type":"idle"}}',
    ];
    await waitFor(() => reports.length >= expected.length, 'the reports');
    assert.deepEqual(reports, expected);
    daemon.close();
  });

  it('does nothing outside an agent Orchestra started', async () => {
    assert.deepEqual(await OrchestraStatusPlugin(), {});
  });
});
