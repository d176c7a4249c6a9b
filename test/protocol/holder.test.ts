import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeFrame, FrameDecoder, FrameError, MAX_FRAME_BYTES, parseClientMessage } from '../../protocol/holder.js';

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
  });
});
