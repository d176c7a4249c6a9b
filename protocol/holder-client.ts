import { connect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { verifyPrivate } from '../src/platform/runtime-dir.js';
import {
  encodeFrame,
  FrameDecoder,
  HOLDER_PROTOCOL_VERSION,
  type ClientMessage,
  type HolderHello,
  type HolderMessage,
  type Role,
} from './holder.js';

/** Nothing serves the socket: the holder has gone (or never was). */
export class HolderGoneError extends Error {}

/** A holder from before `type` gets the text, then Enter this much later as its own input. */
const UNTYPING_HOLDER_ENTER_DELAY_MS = 200;

/**
 * A client's connection to a holder: the hello exchange, then messages both ways. Used
 * by `attach` and `peek` straight from the CLI, and by the daemon to supervise.
 */
export class HolderConnection {
  private listener: ((message: HolderMessage) => void) | undefined;
  private closeListener: () => void = () => {};
  private nextRequestId = 1;
  private readonly screens = new Map<number, (text: string) => void>();
  private readonly typings = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private closed = false;
  /** What the holder said before it hung up: the agent's exit, or its refusal of this client. */
  private agentExited = false;
  private refusal: string | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly hello: HolderHello,
    /** Frames that arrived together with the hello. */
    private backlog: HolderMessage[],
    /** The decoder that read the hello: it may hold the start of the next frame. */
    private readonly decoder: FrameDecoder,
  ) {
    socket.on('data', (chunk: Buffer) => {
      let messages: HolderMessage[];
      try {
        messages = this.decoder.push(chunk) as unknown as HolderMessage[];
      } catch {
        socket.destroy();
        return;
      }
      for (const message of messages) this.dispatch(message);
    });
    socket.on('close', () => {
      this.closed = true;
      for (const resolve of this.screens.values()) resolve('');
      this.screens.clear();
      const why = this.agentExited
        ? 'the agent exited before the text was typed'
        : this.refusal
          ? `the holder refused: ${this.refusal}`
          : 'the holder closed the connection before the text was typed';
      for (const typing of this.typings.values()) typing.reject(new HolderGoneError(why));
      this.typings.clear();
      this.closeListener();
    });
  }

  /**
   * Connects and shakes hands. Rejects with HolderGoneError when nothing listens, and with
   * an Error carrying the holder's sentence when it refuses.
   */
  static open(socketPath: string, options: { role: Role; cols: number; rows: number; timeoutMs?: number }): Promise<HolderConnection> {
    // Keys typed into an agent go nowhere but to a socket of this user's (DESIGN.md §2).
    try {
      if (!verifyPrivate(socketPath, 'socket')) return Promise.reject(new HolderGoneError(`${socketPath} does not exist`));
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      const decoder = new FrameDecoder();
      const timer = setTimeout(() => fail(new Error(`the holder at ${socketPath} did not answer`)), options.timeoutMs ?? 5000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.once('error', (error: NodeJS.ErrnoException) => {
        fail(error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? new HolderGoneError(error.message) : error);
      });
      socket.once('close', () => fail(new HolderGoneError('the holder closed the connection')));
      socket.write(encodeFrame({ t: 'hello', version: HOLDER_PROTOCOL_VERSION, role: options.role, cols: options.cols, rows: options.rows }));
      const onData = (chunk: Buffer) => {
        let messages: HolderMessage[];
        try {
          messages = decoder.push(chunk) as unknown as HolderMessage[];
        } catch (error) {
          fail(error as Error);
          return;
        }
        if (messages.length === 0) return;
        const [first, ...rest] = messages;
        if (first!.t === 'error') return fail(new Error(first!.message));
        if (first!.t !== 'hello') return fail(new Error(`the holder answered '${first!.t}' instead of hello`));
        clearTimeout(timer);
        socket.removeListener('data', onData);
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        socket.on('error', () => socket.destroy());
        resolve(new HolderConnection(socket, first!, rest, decoder));
      };
      socket.on('data', onData);
    });
  }

  /** Receives every message after the hello, starting with any that came with it. */
  onMessage(listener: (message: HolderMessage) => void): void {
    this.listener = listener;
    const backlog = this.backlog;
    this.backlog = [];
    for (const message of backlog) this.dispatch(message);
  }

  onClose(listener: () => void): void {
    this.closeListener = listener;
    if (this.closed) listener();
  }

  send(message: ClientMessage): void {
    if (!this.closed) this.socket.write(encodeFrame(message));
  }

  /** The current screen as text (or with colours); '' when the holder went away meanwhile. */
  screen(lines: number, ansi: boolean): Promise<string> {
    const id = this.nextRequestId++;
    return new Promise((resolve) => {
      if (this.closed) return resolve('');
      this.screens.set(id, resolve);
      this.send({ t: 'screen', id, lines, ansi });
    });
  }

  /**
   * Types `text` into the agent as a person does, and with `enter` presses Enter once the
   * app has taken the text (the holder's `type`); resolves once the holder has done so.
   */
  type(text: string, enter: boolean): Promise<void> {
    if (!this.hello.typing) return this.typeAsInput(text, enter);
    const id = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new HolderGoneError('the holder closed the connection'));
      this.typings.set(id, { resolve, reject });
      this.send({ t: 'type', id, text, enter });
    });
  }

  /** For a holder from before `type`: the text as it is, and Enter a moment later in a write of its own. */
  private async typeAsInput(text: string, enter: boolean): Promise<void> {
    this.send({ t: 'input', data: Buffer.from(text) });
    if (!enter) return;
    if (text !== '') await delay(UNTYPING_HOLDER_ENTER_DELAY_MS);
    this.send({ t: 'input', data: Buffer.from('\r') });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  /** Closes after everything sent so far has been written; `done` runs once the holder has hung up too. */
  end(done: () => void): void {
    this.socket.end();
    this.socket.once('close', done);
    this.socket.resume();
  }

  private dispatch(message: HolderMessage): void {
    if (message.t === 'exit') this.agentExited = true;
    if (message.t === 'error') this.refusal = message.message.replace(/\.$/, '');
    if (message.t === 'typed') {
      this.typings.get(message.id)?.resolve();
      this.typings.delete(message.id);
      return;
    }
    if (message.t === 'screen') {
      this.screens.get(message.id)?.(message.text);
      this.screens.delete(message.id);
      return;
    }
    if (this.listener) this.listener(message);
    else this.backlog.push(message);
  }
}
