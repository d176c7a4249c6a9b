import type { Socket } from 'node:net';
import { AbstractMessageReader, type DataCallback, type Disposable, type Message, type ResponseMessage } from 'vscode-jsonrpc';
import { FramingError, JsonRpcFramer } from '../../protocol/json-rpc-framing.js';

/**
 * The largest request the daemon takes: a task's description (more tokens than any agent's context) and
 * the environment of `start` fit. A request is copied a few times while it is read and
 * parsed, so this times the requests that can arrive at once is what a flood costs.
 */
export const MAX_REQUEST_BYTES = 2 * 1024 * 1024;

/**
 * Bytes of unfinished requests that all clients together may make the daemon hold: each may
 * send up to MAX_REQUEST_BYTES, but 512 connections each halfway through one would hold 512 MiB.
 */
export const MAX_PENDING_REQUEST_BYTES = 16 * 1024 * 1024;

/** The bytes of unfinished requests the daemon holds for all its clients, shared by their readers. */
export class PendingRequestBytes {
  total = 0;
}

/** What the reader tells the connection it reads for. */
export interface ReaderHooks {
  /** Sends a message to the client (the connection's writer). */
  send(message: ResponseMessage): void;
  /** A whole message came: the connection is alive. */
  heard(): void;
  /** A request was handed on, which will be answered. */
  requested(): void;
}

/**
 * Reads a client's messages with protocol/'s framer, so the daemon's limits hold before a
 * byte is buffered: a header that does not end or a length past MAX_REQUEST_BYTES ends that
 * connection (as bytes that are not JSON do), never the daemon's memory. A request with
 * `"id": null`, which vscode-jsonrpc would leave unanswered, gets its error here, through
 * the connection's writer like every other message.
 *
 * While `hold` is on, it hands nothing on and reads nothing more: the messages of a chunk
 * already read wait here, the rest in the client's own buffers.
 */
export class LimitedSocketReader extends AbstractMessageReader {
  private readonly framer = new JsonRpcFramer(MAX_REQUEST_BYTES);
  /** Bodies framed and not handed on yet: at most one chunk's, or one message. */
  private readonly waiting: string[] = [];
  private held = false;
  private handing = false;
  private failed = false;
  private callback: DataCallback | undefined;
  /**
   * The requests handed on and not answered yet, by id as vscode-jsonrpc keys them (1 and
   * "1" are one): it keeps only the last of waiting requests that share an id.
   */
  private readonly unanswered = new Set<string>();

  /** What this connection adds to `pending` now. */
  private holding = 0;

  constructor(
    private readonly socket: Socket,
    private readonly hooks: ReaderHooks,
    private readonly pending: PendingRequestBytes,
  ) {
    super();
  }

  /** Counts what the framer holds now against every client's budget; false when that is spent. */
  private account(): boolean {
    const now = this.failed ? 0 : this.framer.pendingBytes;
    this.pending.total += now - this.holding;
    this.holding = now;
    return this.pending.total <= MAX_PENDING_REQUEST_BYTES;
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer) => {
      try {
        this.waiting.push(...this.framer.push(chunk));
      } catch (error) {
        return this.refuse(error instanceof FramingError ? `sent ${error.message}` : String(error));
      }
      if (!this.account()) return this.refuse(`sent part of a request while the daemon holds ${MAX_PENDING_REQUEST_BYTES / 1024 / 1024} MiB of unfinished requests already`);
      this.handOn();
    };
    const onClose = () => {
      this.release();
      this.fireClose();
    };
    this.socket.on('data', onData);
    this.socket.on('close', onClose);
    return {
      dispose: () => {
        this.socket.off('data', onData);
        this.socket.off('close', onClose);
      },
    };
  }

  /** How many requests wait for their answers. */
  get inFlight(): number {
    return this.unanswered.size;
  }

  /** The answer to request `id` has been written. */
  answered(id: number | string): void {
    this.unanswered.delete(String(id));
  }

  /** Stops (true) or resumes reading the client. */
  hold(held: boolean): void {
    if (held === this.held) return;
    this.held = held;
    if (held) this.socket.pause();
    else {
      this.handOn();
      if (!this.held) this.socket.resume();
    }
  }

  private handOn(): void {
    // Handing a message on can call hold(): the loop below goes on with its decision.
    if (this.handing) return;
    this.handing = true;
    try {
      while (!this.held && !this.failed && this.waiting.length > 0) this.handle(this.waiting.shift()!);
    } finally {
      this.handing = false;
    }
  }

  private handle(body: string): void {
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch {
      return this.refuse('sent a message that is not JSON');
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return this.refuse('sent a message that is not a JSON-RPC object');
    this.hooks.heard();
    const { id, method } = message as { id?: unknown; method?: unknown };
    if (id === null && typeof method === 'string') {
      this.hooks.send({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid request: a request needs an id that is a number or a string.' } });
      return;
    }
    // What vscode-jsonrpc answers: a method and an id that is a number or a string.
    if (typeof method === 'string' && (typeof id === 'number' || typeof id === 'string')) {
      if (this.unanswered.has(String(id))) return this.refuse(`sent a second request with id ${JSON.stringify(id)} before the first was answered`);
      this.unanswered.add(String(id));
      this.hooks.requested();
    }
    this.callback?.(message as Message);
  }

  private refuse(why: string): void {
    this.failed = true;
    this.release();
    this.fireError(new Error(`the client ${why}`));
  }

  /** What this connection held counts no more: it is closing. */
  private release(): void {
    this.pending.total -= this.holding;
    this.holding = 0;
  }
}
