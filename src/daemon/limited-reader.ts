import type { Socket } from 'node:net';
import { AbstractMessageReader, type DataCallback, type Disposable, type Message } from 'vscode-jsonrpc';
import { frame, FramingError, JsonRpcFramer } from '../../protocol/json-rpc-framing.js';

/** The largest request the daemon takes: a task's description and the environment of `start` fit many times over. */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/**
 * Reads a client's messages with protocol/'s framer, so the daemon's limits hold before a
 * byte is buffered: a header that does not end or a length past MAX_REQUEST_BYTES ends that
 * connection (as bytes that are not JSON do), never the daemon's memory. A request with
 * `"id": null`, which vscode-jsonrpc would leave unanswered, gets its error here.
 */
export class LimitedSocketReader extends AbstractMessageReader {
  private readonly framer = new JsonRpcFramer(MAX_REQUEST_BYTES);

  constructor(
    private readonly socket: Socket,
    /** Called for every whole message: the connection is alive. */
    private readonly onMessage: () => void = () => {},
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    const onData = (chunk: Buffer) => {
      let bodies: string[];
      try {
        bodies = this.framer.push(chunk);
      } catch (error) {
        return this.refuse(error instanceof FramingError ? `sent ${error.message}` : String(error));
      }
      for (const body of bodies) {
        let message: unknown;
        try {
          message = JSON.parse(body);
        } catch {
          return this.refuse('sent a message that is not JSON');
        }
        if (typeof message !== 'object' || message === null || Array.isArray(message)) return this.refuse('sent a message that is not a JSON-RPC object');
        this.onMessage();
        const { id, method } = message as { id?: unknown; method?: unknown };
        if (id === null && typeof method === 'string') {
          this.socket.write(frame({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid request: a request needs an id that is a number or a string.' } }));
          continue;
        }
        callback(message as Message);
      }
    };
    const onClose = () => this.fireClose();
    this.socket.on('data', onData);
    this.socket.on('close', onClose);
    return {
      dispose: () => {
        this.socket.off('data', onData);
        this.socket.off('close', onClose);
      },
    };
  }

  private refuse(why: string): void {
    this.fireError(new Error(`the client ${why}`));
  }
}
