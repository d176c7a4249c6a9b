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

const EMPTY = Buffer.alloc(0);

export class JsonRpcFramer {
  /** Bytes after the last whole message, while no header has ended in them. */
  private head: Buffer = EMPTY;
  /**
   * The message whose header has been read: the pieces of its body come in a list and are
   * joined once, when all are here (joining at every chunk made a 64 MiB body cost 40 s).
   */
  private body: { length: number; pieces: Buffer[]; received: number } | undefined;

  constructor(
    /** The longest message body accepted, in bytes. */
    private readonly maxMessageBytes: number,
  ) {}

  /** Bytes held for a message not yet whole: a header being read, or the body received so far. */
  get pendingBytes(): number {
    return this.head.length + (this.body?.received ?? 0);
  }

  /** Takes the next bytes; returns the bodies completed by them. Throws FramingError for bytes that break the framing. */
  push(chunk: Buffer): string[] {
    const bodies: string[] = [];
    let rest = chunk;
    for (;;) {
      if (this.body) {
        const body = this.body;
        const missing = body.length - body.received;
        body.pieces.push(rest.subarray(0, missing));
        body.received += Math.min(missing, rest.length);
        if (body.received < body.length) return bodies;
        bodies.push(Buffer.concat(body.pieces, body.length).toString('utf8'));
        this.body = undefined;
        rest = rest.subarray(missing);
      }
      const head = this.head.length === 0 ? rest : Buffer.concat([this.head, rest]);
      const headerEnd = head.indexOf(HEADER_END);
      if (headerEnd === -1) {
        if (head.length > MAX_HEADER_BYTES) throw new FramingError(`a header longer than ${MAX_HEADER_BYTES} bytes`);
        this.head = head;
        return bodies;
      }
      if (headerEnd > MAX_HEADER_BYTES) throw new FramingError(`a header longer than ${MAX_HEADER_BYTES} bytes`);
      const length = Number(/^content-length: *(\d+) *$/im.exec(head.subarray(0, headerEnd).toString('ascii'))?.[1]);
      if (!Number.isSafeInteger(length)) throw new FramingError('a message without a valid Content-Length');
      if (length > this.maxMessageBytes) throw new FramingError(`a message of ${length} bytes, more than the ${this.maxMessageBytes} allowed`);
      this.head = EMPTY;
      this.body = { length, pieces: [], received: 0 };
      rest = head.subarray(headerEnd + HEADER_END.length);
    }
  }
}

/** One framed message. */
export function frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}${HEADER_END}`, 'ascii'), body]);
}
