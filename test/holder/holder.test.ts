import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import xtermHeadless from '@xterm/headless';
import { HolderConnection } from '../../protocol/holder-client.js';
import { encodeFrame, HOLDER_PROTOCOL_VERSION, type HolderMeta, type HolderSpec } from '../../protocol/holder.js';
import { waitFor } from '../helpers/sandbox.js';

const HOLDER = fileURLToPath(new URL('../../src/holder/main.js', import.meta.url));

/** An agent that counts, one number per line, as fast as a busy agent prints. */
const COUNTER = `let n = 0; const tick = () => { for (let i = 0; i < 20; i++) process.stdout.write((++n) + '\\n'); if (n < 4000) setTimeout(tick, 2); else setInterval(() => {}, 1000); }; tick();`;

describe('a holder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orch-holder-'));
  const socket = join(dir, 'h.sock');
  const meta = join(dir, 'h.json');
  let holder: ChildProcess;

  before(async () => {
    const spec: HolderSpec = {
      key: 'h',
      socket,
      meta,
      command: [process.execPath, '-e', COUNTER],
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      cols: 80,
      rows: 24,
      scrollback: 1000,
      task: { id: 1, slug: 'count', project: dir },
      agent: 'counter',
    };
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    // Not inheriting stdio: the test runner waits for every holder of its output to close it.
    holder = spawn(process.execPath, [HOLDER, join(dir, 'spec.json')], { stdio: 'ignore', detached: true });
    await waitFor(() => {
      try {
        return (JSON.parse(readFileSync(meta, 'utf8')) as HolderMeta).agent_pid > 0;
      } catch {
        return false;
      }
    }, 'the holder to serve');
  });
  after(() => {
    try {
      process.kill(-(JSON.parse(readFileSync(meta, 'utf8')) as HolderMeta).agent_pid, 'SIGKILL');
    } catch {
      // Gone.
    }
    holder.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives an attaching viewer the screen, then the stream, without a gap or a repeat', async () => {
    // Attach while the agent prints, once it has filled a screen or more.
    const control = await HolderConnection.open(socket, { role: 'control', cols: 80, rows: 24 });
    await waitFor(async () => /^\d{3,}$/m.test(await control.screen(0, false)), 'the agent to print a screenful');
    control.close();
    const viewer = await HolderConnection.open(socket, { role: 'readonly', cols: 80, rows: 24 });
    const terminal = new xtermHeadless.Terminal({ cols: 80, rows: 24, scrollback: 10_000, allowProposedApi: true });
    viewer.onMessage((message) => {
      if (message.t === 'snapshot') terminal.write(message.data);
      else if (message.t === 'output') terminal.write(message.data);
    });
    await waitFor(async () => {
      await new Promise<void>((resolve) => terminal.write('', resolve));
      return terminal.buffer.active.getLine(terminal.buffer.active.baseY + terminal.buffer.active.cursorY - 1)?.translateToString(true) === '4000';
    }, 'the count to end');
    viewer.close();
    const buffer = terminal.buffer.active;
    const numbers: number[] = [];
    for (let y = 0; y < buffer.length; y++) {
      const text = buffer.getLine(y)!.translateToString(true);
      if (text !== '') numbers.push(Number(text));
    }
    assert.ok(numbers[0]! > 1, 'the viewer attached mid-stream');
    numbers.forEach((n, i) => i > 0 && assert.equal(n, numbers[i - 1]! + 1, `line ${i}: ${numbers[i - 1]} then ${n}`));
  });

  it('closes a connection that sends garbage, a bad version or an oversized frame, and no other', async () => {
    const watcher = await HolderConnection.open(socket, { role: 'control', cols: 80, rows: 24 });
    const abuse = async (bytes: Buffer) => {
      const s = connect(socket);
      s.on('error', () => {});
      s.resume(); // Read, so that the holder's hang-up is seen.
      s.write(bytes);
      await once(s, 'close');
    };
    await abuse(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await abuse(Buffer.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1]));
    await abuse(encodeFrame({ t: 'hello', version: HOLDER_PROTOCOL_VERSION + 1, role: 'viewer', cols: 80, rows: 24 }));
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(64 * 1024 * 1024);
    await abuse(huge);
    await abuse(encodeFrame({ t: 'input', data: Buffer.from('before hello') }));
    assert.match(await watcher.screen(0, false), /4000/, 'the holder and its other clients go on');
    watcher.close();
  });
});
