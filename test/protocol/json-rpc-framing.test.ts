import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frame, FramingError, JsonRpcFramer, MAX_HEADER_BYTES } from '../../protocol/json-rpc-framing.js';

/** Pushes `bytes` in pieces of `size` bytes; returns every body completed. */
function pushInPieces(framer: JsonRpcFramer, bytes: Buffer, size: number): string[] {
  const bodies: string[] = [];
  for (let at = 0; at < bytes.length; at += size) bodies.push(...framer.push(bytes.subarray(at, at + size)));
  return bodies;
}

describe("the daemon socket's framing", () => {
  const messages = [{ id: 1, text: 'é✓🎻' }, {}, { id: 3, list: [1, 2, 3] }];
  const bytes = Buffer.concat(messages.map(frame));
  const expected = messages.map((message) => JSON.stringify(message));

  it('finds every message however the bytes are cut: in one piece, byte by byte, and in pieces across headers and bodies', () => {
    for (const size of [bytes.length, 1, 2, 3, 7, 16, 33]) assert.deepEqual(pushInPieces(new JsonRpcFramer(1024), bytes, size), expected, `pieces of ${size}`);
  });

  it('takes a large body in many pieces whole', () => {
    const big = { text: 'x'.repeat(3 * 1024 * 1024 + 5) };
    assert.deepEqual(pushInPieces(new JsonRpcFramer(4 * 1024 * 1024), frame(big), 64 * 1024), [JSON.stringify(big)]);
  });

  it('refuses a header that does not end, and a length past its limit, before the body comes', () => {
    assert.throws(() => new JsonRpcFramer(1024).push(Buffer.alloc(MAX_HEADER_BYTES + 1, 'X')), FramingError);
    assert.throws(() => new JsonRpcFramer(1024).push(Buffer.from('Content-Length: 1025\r\n\r\n')), /a message of 1025 bytes, more than the 1024 allowed/);
    assert.throws(() => new JsonRpcFramer(1024).push(Buffer.from('Content-Type: x\r\n\r\n')), /without a valid Content-Length/);
  });
});
