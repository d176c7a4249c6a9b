import { chmodSync, rmSync, statSync, utimesSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import {
  encodeFrame,
  FrameDecoder,
  FrameError,
  HOLDER_PROTOCOL_VERSION,
  MAX_FRAME_BYTES,
  parseClientMessage,
  type ActivityMessage,
  type ClientMessage,
  type ExitStatus,
  type HolderHello,
  type HolderMessage,
  type Role,
  type SnapshotMessage,
} from '../../protocol/holder.js';
import type { TerminalMirror } from './terminal-mirror.js';
import { withoutReplies } from './terminal-replies.js';
import { Typist } from './typist.js';

/**
 * A client connection. `syncing` clients wait for their snapshot and queue the output
 * that comes meanwhile; `behind` clients could not keep up and get a fresh snapshot once
 * their socket drains.
 */
interface Client {
  socket: Socket;
  decoder: FrameDecoder;
  role: Role | undefined;
  state: 'new' | 'syncing' | 'live' | 'behind';
  pending: Uint8Array[];
  cols: number;
  rows: number;
  /** Screen requests asked and not yet answered. */
  screens: number;
}

/** Screen requests one controller may have waiting at once: each holds a rendering of the screen until sent. */
export const MAX_SCREENS_IN_FLIGHT = 8;
/** Input the agent has not read yet, past which a client's typing is refused rather than queued without end. */
export const MAX_INPUT_QUEUED = 1024 * 1024;

/** Texts to type that may wait at once, from all clients: each waits for the app to take the one before. */
export const MAX_TYPING_WAITING = 32;

/**
 * How long a new connection has to say hello. After hello there is no time limit: a viewer
 * may watch for hours without a key, and the daemon's control connection lasts as long as
 * the agent; a client that ends closes its unix socket at once.
 */
export const HELLO_TIMEOUT_MS = 10_000;
/** Connections at once: a few terminals and dashboards per agent, and the daemon, fit many times. */
export const MAX_CLIENTS = 64;

/** What the server may do to the agent. */
export interface AgentControl {
  write(data: Uint8Array): void;
  /** Bytes written that the agent has not read yet. */
  inputQueued(): number;
  resize(cols: number, rows: number): void;
  repaint(): void;
  stop(force: boolean): unknown;
}

/** The hello fields that describe the holder; the server adds the rest. */
export type HolderIdentity = Omit<HolderHello, 't' | 'version' | 'cols' | 'rows' | 'viewers' | 'typing'>;

/**
 * Serves the holder's socket: hands each viewer a snapshot of the screen followed by the
 * live stream, passes viewers' keys and sizes to the agent, answers control requests. A
 * connection that breaks the protocol is closed alone; the agent never notices.
 */
export class HolderServer {
  private server: Server;
  private readonly clients = new Set<Client>();
  /** The viewer whose terminal size the agent gets: the one that attached or typed last. */
  private sizeOwner: Client | undefined;
  private closing = false;
  /** The inode of the socket this server made, so it never removes another holder's. */
  private socketInode = 0;
  /** The latest verdict on what the agent does, for controllers (the daemon). */
  private activity: ActivityMessage = { t: 'activity', state: 'running', reason: '', cause: 'the agent started' };
  /** Types clients' texts as a person would: it sees the app's modes in the mirror and its output here. */
  private readonly typist: Typist;

  constructor(
    private readonly socketPath: string,
    private readonly identity: () => HolderIdentity,
    private readonly mirror: TerminalMirror,
    private readonly agent: AgentControl,
  ) {
    this.server = createServer((socket) => this.accept(socket));
    this.typist = new Typist({
      write: (data) => agent.write(Buffer.from(data)),
      inputQueued: () => agent.inputQueued(),
      inputModes: () => new Promise((resolve) => mirror.afterWrites(() => resolve(mirror.inputModes()))),
    });
    // A viewer draws one screen: when the app switches screens, streaming viewers get the
    // other screen's content as a fresh snapshot (clients drop the switch itself). Syncing
    // viewers already wait for a snapshot taken after this point.
    mirror.onScreenSwitch(() => {
      for (const client of this.clients) if (client.state === 'live' && client.role !== 'control') this.sync(client, true);
    });
  }

  /** Listens with a 0600 socket; fails when the path is taken (another holder of this task). */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const umask = process.umask(0o177);
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        process.umask(umask);
        chmodSync(this.socketPath, 0o600);
        this.socketInode = statSync(this.socketPath).ino;
        resolve();
      });
    });
  }

  /**
   * Renews the socket's times so that no /tmp cleaner takes it for unused, or listens again
   * if one has removed it (DESIGN.md §7.16): clients find the holder by this path.
   */
  async renewSocket(): Promise<void> {
    if (this.closing) return;
    try {
      // A path that another socket has taken since is not ours to touch.
      if (statSync(this.socketPath).ino === this.socketInode) utimesSync(this.socketPath, new Date(), new Date());
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // Connected clients stay on the old server; new ones reach the new one.
    const old = this.server;
    this.server = createServer((socket) => this.accept(socket));
    old.close();
    await this.listen();
  }

  /** People who see the terminal (viewer and readonly roles; a preview pane is no one). */
  get viewers(): number {
    let count = 0;
    for (const client of this.clients) if (isPerson(client.role)) count++;
    return count;
  }

  /** Whether a person's terminal is attached to answer the app's queries. */
  get hasInteractiveViewer(): boolean {
    for (const client of this.clients) if (client.role === 'viewer') return true;
    return false;
  }

  /** A new verdict on what the agent does: controllers hear of it at once, and on connecting. */
  setActivity(activity: ActivityMessage): void {
    this.activity = activity;
    for (const client of this.clients) if (client.role === 'control') this.send(client, activity);
  }

  /** New bytes from the agent, already written to the mirror. */
  output(data: Uint8Array): void {
    this.typist.outputArrived();
    // One frame for every viewer: encoded once, on the first viewer that streams.
    let frame: Buffer | undefined;
    for (const client of this.clients) {
      if (client.role === 'control' || client.role === undefined) continue;
      if (client.state === 'syncing') client.pending.push(data);
      else if (client.state === 'live') this.sendOutput(client, (frame ??= encodeFrame({ t: 'output', data })));
    }
  }

  /** The agent exited and its output is all in the mirror (call inside afterWrites): tell everyone, close, remove the socket. */
  async exit(status: ExitStatus): Promise<void> {
    this.closing = true;
    if (isFileWithInode(this.socketPath, this.socketInode)) rmSync(this.socketPath, { force: true });
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const ended = [...this.clients].map(
      (client) =>
        new Promise<void>((resolve) => {
          client.socket.once('close', () => resolve());
          // A viewer that fell behind, or waits for a snapshot that would come after the exit,
          // gets the final screen now, which it would otherwise never see.
          if (client.state === 'behind' || client.state === 'syncing') {
            this.send(client, this.snapshot());
            client.state = 'live';
          }
          if (client.role !== undefined) client.socket.write(encodeFrame({ t: 'exit', ...status }));
          client.socket.end();
        }),
    );
    // A client that does not hang up is not waited for long.
    await Promise.race([Promise.all([closed, ...ended]), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.clients.size >= MAX_CLIENTS) {
      // Half-closed, so that the client's hello meets no closed socket before it reads why.
      socket.on('error', () => socket.destroy());
      socket.resume();
      socket.end(encodeFrame({ t: 'error', message: `The agent's holder serves ${MAX_CLIENTS} connections already; close some of the terminals attached to it.` }));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    const client: Client = { socket, decoder: new FrameDecoder(), role: undefined, state: 'new', pending: [], cols: 0, rows: 0, screens: 0 };
    this.clients.add(client);
    // A connection that never says hello holds a descriptor for nothing.
    setTimeout(() => client.role === undefined && this.clients.has(client) && this.refuse(client, `said no hello within ${HELLO_TIMEOUT_MS / 1000} s`), HELLO_TIMEOUT_MS).unref();
    socket.on('data', (chunk: Buffer) => {
      let messages;
      try {
        messages = client.decoder.push(chunk).map(parseClientMessage);
      } catch (error) {
        this.refuse(client, error instanceof FrameError ? `sent ${error.message}` : 'sent an unreadable frame');
        return;
      }
      for (const message of messages) if (message && this.clients.has(client)) this.handle(client, message);
    });
    socket.on('drain', () => {
      if (client.state === 'behind') this.sync(client);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.forget(client));
  }

  private handle(client: Client, message: ClientMessage): void {
    if (client.role === undefined) {
      if (message.t !== 'hello') return this.refuse(client, `sent '${message.t}' before hello`);
      if (message.version !== HOLDER_PROTOCOL_VERSION) {
        return this.refuse(client, `speaks holder protocol ${message.version}; this holder speaks ${HOLDER_PROTOCOL_VERSION}`);
      }
      client.role = message.role;
      client.cols = message.cols;
      client.rows = message.rows;
      this.send(client, { t: 'hello', version: HOLDER_PROTOCOL_VERSION, ...this.identity(), cols: this.mirror.cols, rows: this.mirror.rows, viewers: this.viewers, typing: true });
      if (client.role === 'control') return this.send(client, this.activity);
      if (client.role === 'viewer') {
        // One repaint per attach, so the agent draws for this viewer (a size change does it anyway).
        if (!this.takeSize(client)) this.agent.repaint();
      }
      if (isPerson(client.role)) this.notifyViewers();
      this.sync(client);
      return;
    }
    switch (message.t) {
      case 'input': {
        if (client.role === 'readonly' || client.role === 'preview') return;
        // An agent that does not read its input (busy, or stuck) is not fed without end.
        if (this.inputWaiting() + message.data.length > MAX_INPUT_QUEUED) return this.refuse(client, TYPED_TOO_MUCH);
        if (client.role !== 'viewer' || this.sizeOwner === client) return this.agent.write(message.data);
        // Another viewer: its terminal's answers are dropped (the owner's answer), and only
        // real keys make it the owner.
        const keys = withoutReplies(message.data);
        if (keys.length === 0) return;
        this.takeSize(client);
        this.agent.write(keys);
        return;
      }
      case 'type': {
        if (client.role === 'readonly' || client.role === 'preview') return;
        if (this.typist.waiting >= MAX_TYPING_WAITING) return this.refuse(client, `asked to type more than ${MAX_TYPING_WAITING} texts at once`);
        if (this.inputWaiting() + Buffer.byteLength(message.text) > MAX_INPUT_QUEUED) return this.refuse(client, TYPED_TOO_MUCH);
        void this.typist.type(message.text, message.enter).then(() => this.clients.has(client) && this.send(client, { t: 'typed', id: message.id }));
        return;
      }
      case 'resize':
        if (client.role !== 'viewer') return;
        client.cols = message.cols;
        client.rows = message.rows;
        if (this.sizeOwner === client) this.applySize(client.cols, client.rows);
        return;
      case 'screen':
        if (client.role !== 'control') return;
        // A controller that asks without reading the answers is cut off, not buffered for.
        if (client.socket.writableLength > MAX_FRAME_BYTES) return this.refuse(client, 'asked for screens without reading them');
        if (client.screens >= MAX_SCREENS_IN_FLIGHT) return this.refuse(client, `asked for more than ${MAX_SCREENS_IN_FLIGHT} screens at once`);
        client.screens++;
        this.mirror.afterWrites(
          () =>
            void this.mirror.text(message.lines, message.ansi).then((text) => {
              client.screens--;
              if (this.clients.has(client)) this.send(client, { t: 'screen', id: message.id, text: lastBytes(text, MAX_FRAME_BYTES - 1024) });
            }),
        );
        return;
      case 'stop':
        if (client.role === 'control') this.agent.stop(message.force);
        return;
      case 'hello':
        return this.refuse(client, 'sent hello twice');
    }
  }

  /** Input on its way to the agent: written and not read yet, or waiting to be typed. */
  private inputWaiting(): number {
    return this.agent.inputQueued() + this.typist.bytesWaiting;
  }

  /**
   * Sends the client a snapshot taken exactly where its live stream begins; `continues` when
   * it has had every byte before that point (a redraw, not a catch-up).
   */
  private sync(client: Client, continues = false): void {
    client.state = 'syncing';
    client.pending = [];
    this.mirror.afterWrites(() => {
      if (!this.clients.has(client) || client.state !== 'syncing') return;
      this.send(client, continues ? { ...this.snapshot(), continues } : this.snapshot());
      client.state = 'live';
      const pending = client.pending;
      client.pending = [];
      for (const data of pending) this.sendOutput(client, encodeFrame({ t: 'output', data }));
    });
  }

  /** The screen as it is now, for a viewer; call inside afterWrites. */
  private snapshot(): SnapshotMessage {
    return { t: 'snapshot', data: this.mirror.snapshot(), cols: this.mirror.cols, rows: this.mirror.rows };
  }

  private sendOutput(client: Client, frame: Buffer): void {
    if (!client.socket.destroyed) client.socket.write(frame);
    // A viewer that cannot keep up never slows the agent: stop streaming to it and
    // send it a fresh snapshot once its socket has drained.
    if (client.socket.writableLength > queueLimit(this.mirror)) client.state = 'behind';
  }

  /** Makes `client` the size owner; true when that changed the size. */
  private takeSize(client: Client): boolean {
    this.sizeOwner = client;
    return this.applySize(client.cols, client.rows);
  }

  private applySize(cols: number, rows: number): boolean {
    if (cols === this.mirror.cols && rows === this.mirror.rows) return false;
    this.mirror.resize(cols, rows);
    this.agent.resize(cols, rows);
    // A preview keeps a terminal of the agent's size: the snapshot tells it the new one.
    for (const client of this.clients) if (client.role === 'preview' && client.state === 'live') this.sync(client, true);
    return true;
  }

  private send(client: Client, message: HolderMessage): void {
    if (!client.socket.destroyed) client.socket.write(encodeFrame(message));
  }

  private refuse(client: Client, reason: string): void {
    this.send(client, { t: 'error', message: `The client ${reason}.` });
    client.socket.end();
    // A peer that keeps talking after the refusal is cut off.
    setTimeout(() => client.socket.destroy(), 1000).unref();
    this.forget(client);
  }

  private forget(client: Client): void {
    if (!this.clients.delete(client)) return;
    if (this.sizeOwner === client) {
      // The viewer that attached last takes over, so someone still answers the app's queries.
      this.sizeOwner = undefined;
      const next = [...this.clients].reverse().find((c) => c.role === 'viewer');
      if (next) this.takeSize(next);
    }
    if (isPerson(client.role)) this.notifyViewers();
  }

  private notifyViewers(): void {
    const count = this.viewers;
    for (const client of this.clients) if (client.role === 'control') this.send(client, { t: 'viewers', count });
  }
}

const TYPED_TOO_MUCH = `typed more than the agent reads (${MAX_INPUT_QUEUED / 1024} KiB wait for it already)`;

/** Whether a client of this role is a person looking at the terminal (counted as a viewer). */
function isPerson(role: Role | undefined): boolean {
  return role === 'viewer' || role === 'readonly';
}

function isFileWithInode(path: string, inode: number): boolean {
  try {
    return statSync(path).ino === inode;
  } catch {
    return false;
  }
}

/** The end of `text` that fits in `limit` UTF-8 bytes, cut at a line: scrollback is shed from the top. */
function lastBytes(text: string, limit: number): string {
  if (Buffer.byteLength(text) <= limit) return text;
  const tail = Buffer.from(text).subarray(-limit).toString('utf8');
  return tail.slice(tail.indexOf('\n') + 1);
}

/** About eight screens of output may wait for a viewer (DESIGN.md §7.6), and never less than 256 KiB. */
function queueLimit(mirror: TerminalMirror): number {
  return Math.max(256 * 1024, 8 * 16 * mirror.cols * mirror.rows);
}
