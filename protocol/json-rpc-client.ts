import type { Socket } from 'node:net';
import { frame, FramingError, JsonRpcFramer } from './json-rpc-framing.js';

/**
 * A JSON-RPC 2.0 client for the daemon's socket: requests with named parameters and their
 * responses, framed as `Content-Length: N\r\n\r\n` + UTF-8 JSON (protocol/README.md).
 *
 * The daemon serves with vscode-jsonrpc; clients use this instead because loading that
 * library costs ~35 ms on every CLI start-up (measured in bench/), a sixth of what
 * `orchestra status` takes, and a client needs none of what it offers beyond this.
 */

export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

/** An error reply from the server, or the connection failing before the reply came. */
export class RpcRequestError extends Error {
  constructor(
    message: string,
    /** The server's error code; undefined when the connection failed. */
    readonly code: number | undefined,
  ) {
    super(message);
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (error: RpcRequestError) => void; method: string };

// Replies larger than this are not something the daemon sends; a peer that claims one is broken.
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export class JsonRpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly framer = new JsonRpcFramer(MAX_MESSAGE_BYTES);
  private failure: string | undefined;
  private readonly notificationHandlers = new Map<string, (params: unknown) => void>();
  private closeHandler: ((reason: string) => void) | undefined;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error.message));
    socket.on('close', () => this.fail('the connection closed'));
  }

  request<R>(method: string, params: unknown): Promise<R> {
    if (this.failure) return Promise.reject(new RpcRequestError(this.failure, undefined));
    const id = this.nextId++;
    this.socket.write(frame({ jsonrpc: '2.0', id, method, params }));
    return new Promise<R>((resolve, reject) => this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, method }));
  }

  /** Handles the server's notifications of one method (e.g. output while a request runs). */
  onNotification(method: string, handler: (params: unknown) => void): void {
    this.notificationHandlers.set(method, handler);
  }

  /** Called once when the connection ends, with why (not when the client closes it itself); at once if it has ended. */
  onClose(handler: (reason: string) => void): void {
    if (this.failure !== undefined) handler(this.failure);
    else this.closeHandler = handler;
  }

  close(): void {
    this.closeHandler = undefined;
    this.fail('the connection was closed by the client');
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    let bodies: string[];
    try {
      bodies = this.framer.push(chunk);
    } catch (error) {
      if (!(error instanceof FramingError)) throw error;
      this.protocolError(error.message);
      return;
    }
    for (const body of bodies) {
      let message: { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: RpcError };
      try {
        message = JSON.parse(body);
      } catch {
        this.protocolError('a message that is not JSON');
        return;
      }
      this.settle(message);
    }
  }

  private settle(message: { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: RpcError }): void {
    if (message.id === undefined && typeof message.method === 'string') {
      this.notificationHandlers.get(message.method)?.(message.params);
      return;
    }
    // An error that answers no request is about the connection (the daemon serves as many as
    // it takes): every request waiting gets it, and the server hangs up.
    if (message.id === null && message.error) {
      for (const [id, pending] of this.pending) {
        this.pending.delete(id);
        pending.reject(new RpcRequestError(message.error.message, message.error.code));
      }
      return;
    }
    const pending = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
    if (!pending) return;
    this.pending.delete(message.id as number);
    if (message.error) pending.reject(new RpcRequestError(message.error.message, message.error.code));
    else pending.resolve(message.result ?? null);
  }

  private protocolError(what: string): void {
    this.fail(`the server sent ${what}`);
    this.socket.destroy();
  }

  private fail(reason: string): void {
    if (this.failure === undefined) {
      this.failure = reason;
      this.closeHandler?.(reason);
    }
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(new RpcRequestError(`${pending.method}: ${reason}`, undefined));
    }
  }
}
