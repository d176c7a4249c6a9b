import type { Socket } from 'node:net';
import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-jsonrpc';
import { frame } from '../../protocol/json-rpc-framing.js';

/** Replies and notifications a client may leave unread before it is disconnected. */
export const MAX_UNREAD_BYTES = 4 * 1024 * 1024;

/**
 * Writes the daemon's messages to a client with protocol/'s framer, each in one write, so
 * what the client has not read yet waits in one place, the socket's buffer, where it is
 * counted. A client that leaves more than MAX_UNREAD_BYTES there when another message is
 * due loses its connection (the error goes to the connection), never the daemon's memory.
 * vscode-jsonrpc's own writer queued messages out of sight until the socket took each, and
 * wrote a header and its body in two writes that another write could come between.
 */
export class LimitedSocketWriter extends AbstractMessageWriter implements MessageWriter {
  constructor(
    private readonly socket: Socket,
    /** Called with each message handed to the socket: its buffer may have grown. */
    private readonly onWrite: (message: Message) => void = () => {},
  ) {
    super();
  }

  /** Resolves at once: the library need not hold a request until its reply is read. */
  write(message: Message): Promise<void> {
    // A client that has gone gets nothing more; the work it asked for goes on.
    if (this.socket.destroyed) return Promise.resolve();
    const unread = this.socket.writableLength;
    if (unread > MAX_UNREAD_BYTES) {
      this.fireError(new Error(`the client left ${unread} bytes of replies and notifications unread`), message);
      return Promise.resolve();
    }
    this.socket.write(frame(message));
    this.onWrite(message);
    return Promise.resolve();
  }

  end(): void {
    this.socket.end();
  }
}
