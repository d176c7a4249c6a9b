/**
 * The framing of the daemon's socket, for both sides (protocol/README.md): each message is
 * `Content-Length: N\r\n\r\n` followed by N bytes of UTF-8 JSON. Bytes from a socket are
 * untrusted: a header that does not end, or a length past the limit, is refused at once
 * instead of buffered.
 */

export const HEADER_END = '\r\n\r\n';
/** A header is one or two short lines (Content-Length, maybe Content-Type). */
export const MAX_HEADER_BYTES = 8 * 1024;

export class FramingError extends Error {}

export class JsonRpcFramer {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(
    /** The longest message body accepted, in bytes. */
    private readonly maxMessageBytes: number,
  ) {}

  /** Takes the next bytes; returns the bodies completed by them. Throws FramingError for bytes that break the framing. */
  push(chunk: Buffer): string[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const bodies: string[] = [];
    for (;;) {
      const headerEnd = this.buffer.indexOf(HEADER_END);
      if (headerEnd === -1) {
        if (this.buffer.length > MAX_HEADER_BYTES) throw new FramingError(`a header longer than ${MAX_HEADER_BYTES} bytes`);
        return bodies;
      }
      if (headerEnd > MAX_HEADER_BYTES) throw new FramingError(`a header longer than ${MAX_HEADER_BYTES} bytes`);
      const length = Number(/^content-length: *(\d+) *$/im.exec(this.buffer.subarray(0, headerEnd).toString('ascii'))?.[1]);
      if (!Number.isSafeInteger(length)) throw new FramingError('a message without a valid Content-Length');
      if (length > this.maxMessageBytes) throw new FramingError(`a message of ${length} bytes, more than the ${this.maxMessageBytes} allowed`);
      const start = headerEnd + HEADER_END.length;
      if (this.buffer.length < start + length) return bodies;
      bodies.push(this.buffer.subarray(start, start + length).toString('utf8'));
      this.buffer = this.buffer.subarray(start + length);
    }
  }
}

/** One framed message. */
export function frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}${HEADER_END}`, 'ascii'), body]);
}
