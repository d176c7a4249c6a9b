import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HolderConnection } from '../../protocol/holder-client.js';
import { encodeFrame, FrameDecoder, FrameError, HOLDER_PROTOCOL_VERSION, MAX_FRAME_BYTES, parseClientMessage, type ClientMessage, type HolderHello, type HolderMessage } from '../../protocol/holder.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

describe('the holder codec', () => {
  it('decodes frames split anywhere, and keeps bytes as bytes', () => {
    const frames = Buffer.concat([
      encodeFrame({ t: 'hello', version: 1, role: 'viewer', cols: 80, rows: 24 }),
      encodeFrame({ t: 'input', data: Buffer.from([0, 0x1c, 0xff]) }),
    ]);
    const decoder = new FrameDecoder();
    const messages = [];
    for (const byte of frames) messages.push(...decoder.push(Buffer.from([byte])));
    assert.equal(messages.length, 2);
    assert.deepEqual(messages[0], { t: 'hello', version: 1, role: 'viewer', cols: 80, rows: 24 });
    assert.deepEqual([...(messages[1]!.data as Uint8Array)], [0, 0x1c, 0xff]);
  });

  it('refuses oversized, undecodable and untyped frames', () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_BYTES + 1);
    assert.throws(() => new FrameDecoder().push(header), FrameError);
    const garbage = Buffer.from([0, 0, 0, 1, 0xc1]); // 0xc1 is never valid msgpack
    assert.throws(() => new FrameDecoder().push(garbage), FrameError);
    const untyped = encodeFrame({ t: 'x' } as never);
    untyped[untyped.length - 2] = 0x75; // the key "t" becomes "u"
    assert.throws(() => new FrameDecoder().push(untyped), FrameError);
  });

  it('checks known messages and ignores unknown ones', () => {
    assert.equal(parseClientMessage({ t: 'future-thing' }), undefined);
    assert.throws(() => parseClientMessage({ t: 'hello', version: 1, role: 'admin', cols: 80, rows: 24 }), /role admin/);
    assert.throws(() => parseClientMessage({ t: 'resize', cols: 0, rows: 24 }), FrameError);
    assert.deepEqual(parseClientMessage({ t: 'screen', id: 3 }), { t: 'screen', id: 3, lines: 0, ansi: false });
    assert.deepEqual(parseClientMessage({ t: 'type', id: 4, text: 'go' }), { t: 'type', id: 4, text: 'go', enter: false });
    assert.throws(() => parseClientMessage({ t: 'type', id: 4, text: Buffer.from('go') }), /a 'type' message without text/);
  });
});

describe('the holder client', () => {
  it('types into a holder from before `type` as input: the text, then Enter in a frame of its own', async () => {
    // What a holder of an older Orchestra does: a hello without `typing`, and `type` ignored.
    const dir = mkdtempSync(join(scratchDir(), 'orch-old-holder-'));
    const socketPath = join(dir, 'h.sock');
    const received: ClientMessage[] = [];
    const server = createServer((socket) => {
      const decoder = new FrameDecoder();
      socket.on('data', (chunk) => {
        for (const message of decoder.push(chunk)) {
          if (message.t === 'hello') socket.write(encodeFrame({ t: 'hello', version: 1, pid: 1, agent_pid: 2, task: { id: 1, slug: 'old', project: dir }, agent: 'test', started: '', cols: 80, rows: 24, viewers: 0 }));
          else received.push(parseClientMessage(message)!);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const connection = await HolderConnection.open(socketPath, { role: 'control', cols: 80, rows: 24 });
      await connection.type('fix the tests', true);
      await new Promise<void>((resolve) => connection.end(resolve));
      assert.deepEqual(
        received.map((message) => message.t === 'input' && Buffer.from(message.data).toString()),
        ['fix the tests', '\r'],
      );
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a client's connection to a holder", () => {
  it('keeps the start of a frame that came with the hello, and reads that frame whole', async () => {
    const dir = mkdtempSync(join(scratchDir(), 'orch-holder-client-'));
    const hello: HolderHello = { t: 'hello', version: HOLDER_PROTOCOL_VERSION, pid: 1, agent_pid: 2, task: { id: 1, slug: 's', project: dir }, agent: 'a', started: '', cols: 80, rows: 24, viewers: 0 };
    const output = encodeFrame({ t: 'output', data: Buffer.alloc(1000, 0x61) });
    let rest!: () => void;
    const server = createServer((socket) => {
      // The hello and half of the next frame in one write: the other half comes later.
      socket.write(Buffer.concat([encodeFrame(hello), output.subarray(0, 500)]));
      rest = () => socket.write(output.subarray(500));
    });
    server.listen(join(dir, 'h.sock'));
    await once(server, 'listening');
    try {
      const connection = await HolderConnection.open(join(dir, 'h.sock'), { role: 'readonly', cols: 80, rows: 24 });
      const first = new Promise<HolderMessage | 'closed'>((resolve) => {
        connection.onMessage(resolve);
        connection.onClose(() => resolve('closed'));
      });
      rest();
      const message = await first;
      assert.ok(message !== 'closed' && message.t === 'output', `got ${JSON.stringify(message)}`);
      assert.equal(Buffer.from(message.data).toString(), 'a'.repeat(1000));
      connection.close();
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
