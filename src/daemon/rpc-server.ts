import { chmodSync, rmSync, statSync, utimesSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { ResponseError } from 'vscode-jsonrpc';
import { createMessageConnection, type Message, type MessageConnection } from 'vscode-jsonrpc/node';
import type { z } from 'zod';
import { ErrorCodes, type Method } from '../../protocol/daemon.js';
import { frame } from '../../protocol/json-rpc-framing.js';
import { errorMessage, OrchestraError } from '../core/errors.js';
import { listenExclusive } from './exclusive-listen.js';
import { ConnectionDeadline } from './connection-deadline.js';
import { LimitedSocketReader, PendingRequestBytes } from './limited-reader.js';
import { LimitedSocketWriter } from './limited-writer.js';
import type { Logger } from './log.js';

/** Clients at once: far more than a person's commands, dashboards and agents' hooks, far fewer than the file descriptors a daemon has. */
export const MAX_CONNECTIONS = 512;
/** A connection must send its first whole message within this (garbage, or nothing at all, is closed). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * A connection with nothing in flight, no subscription and nothing received for this long is
 * closed: a client that forgot one must not hold one of MAX_CONNECTIONS for good.
 * ORCHESTRA_DAEMON_IDLE_MS shortens it for tests.
 */
export const IDLE_TIMEOUT_MS = Number(process.env.ORCHESTRA_DAEMON_IDLE_MS) || 10 * 60_000;
/** Requests of one connection being served at once; the connection is not read meanwhile. */
export const MAX_REQUESTS_IN_FLIGHT = 4;

/** What a handler may do besides replying: send notifications to the asking client while it works. */
export interface RequestContext {
  notify(method: string, params: unknown): void;
  /** Runs `callback` when the client's connection closes (at once if it has): the end of a subscription. */
  onClose(callback: () => void): void;
  /** What the connection may reach: set by hello when an agent's credentials limit it to one project. */
  session: Session;
}

export interface Session {
  /** The one project root this connection may act on; undefined: every project (a person's client). */
  scope?: string;
}

/** Checks a request of a connection limited to `scope` before it runs; throws an OrchestraError to refuse it. */
export type Authorize = (method: string, params: unknown, scope: string) => Promise<void>;

/** A request handler: validated parameters in, result out. Thrown OrchestraErrors become error replies. */
export type Handler<P, R> = (params: P, context: RequestContext) => Promise<R> | R;

interface Route {
  type: Method<unknown, unknown>;
  schema: z.ZodType;
  handler: Handler<unknown, unknown>;
}

/**
 * JSON-RPC 2.0 over a unix socket (vscode-jsonrpc framing). One connection per client;
 * a client that sends garbage loses its own connection and nothing else.
 */
export class RpcServer {
  private readonly server: Server;
  private readonly routes: Route[] = [];
  private readonly connections = new Set<{ socket: Socket; connection: MessageConnection }>();
  /** The bytes of unfinished requests held for all clients together (MAX_PENDING_REQUEST_BYTES). */
  private readonly pendingRequests = new PendingRequestBytes();
  /** The inode of the socket this server made: a socket at the path with another is not its own. */
  private socketInode = 0;
  /** Asked before every request of a limited connection; refuses everything until set. */
  authorize: Authorize = async () => {
    throw new OrchestraError('This connection is limited to one project, and the daemon cannot check requests yet.');
  };
  /** Requests wait for this first (the daemon finding its holders again after a restart). */
  ready: Promise<void> = Promise.resolve();

  constructor(
    readonly socketPath: string,
    private readonly log: Logger,
  ) {
    this.server = createServer((socket) => (this.connections.size < MAX_CONNECTIONS ? this.accept(socket) : this.turnAway(socket)));
  }

  on<P, R>(type: Method<P, R>, schema: z.ZodType<P>, handler: Handler<P, R>): void {
    this.routes.push({ type, schema, handler } as unknown as Route);
  }

  /** Listens, refusing when another daemon owns the socket. The socket is 0600: only this user may talk to it. */
  async listen(): Promise<void> {
    const umask = process.umask(0o177);
    try {
      await listenExclusive(this.server, this.socketPath);
    } finally {
      process.umask(umask);
    }
    chmodSync(this.socketPath, 0o600);
    this.socketInode = statSync(this.socketPath).ino;
  }

  /** Renews the socket's times against /tmp cleaners; false when it is gone or another's. */
  renewSocket(): boolean {
    if (!this.ownsSocket()) return false;
    utimesSync(this.socketPath, new Date(), new Date());
    return true;
  }

  /** Ends every connection at once. */
  private dropAll(): void {
    for (const { connection, socket } of this.connections) {
      connection.dispose();
      socket.destroy();
    }
  }

  private ownsSocket(): boolean {
    try {
      return statSync(this.socketPath).ino === this.socketInode;
    } catch {
      return false;
    }
  }

  /**
   * Removes the socket (so a new daemon can start at once) and stops accepting; then gives
   * connected clients `graceMs` to read their last replies and hang up before it cuts them off.
   */
  async close(graceMs = 1000): Promise<void> {
    // Closing a server unlinks its path, and the path may be another daemon's socket now:
    // a daemon whose socket was taken only lets its clients go.
    if (!this.ownsSocket()) return this.dropAll();
    rmSync(this.socketPath, { force: true });
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const timer = setTimeout(() => this.dropAll(), graceMs);
    await closed;
    clearTimeout(timer);
  }

  /**
   * Tells a client past MAX_CONNECTIONS why, and hangs up. (The socket closing it unanswered
   * left the CLI to guess that no daemon ran, and start one that could not listen.)
   */
  private turnAway(socket: Socket): void {
    this.log.warn(`refusing a client connection: ${MAX_CONNECTIONS} are open`);
    socket.on('error', () => socket.destroy());
    const message = `The daemon serves ${MAX_CONNECTIONS} connections already, as many as it takes; close some of its clients (dashboards, 'status --watch') and run the command again.`;
    // Half-closed, not closed: the client's hello must not meet a closed socket (EPIPE) before
    // it reads why. What it sends is thrown away; it hangs up, or is cut off after a second.
    socket.resume();
    socket.end(frame({ jsonrpc: '2.0', id: null, error: { code: ErrorCodes.Failed, message } }));
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  private accept(socket: Socket): void {
    let open = true;
    const closeCallbacks: Array<() => void> = [];
    const deadline = new ConnectionDeadline({ handshakeMs: HANDSHAKE_TIMEOUT_MS, idleMs: IDLE_TIMEOUT_MS }, (why) => {
      this.log.warn(`dropping a client connection that ${why}`);
      drop();
    });
    /**
     * Reads the client only while it reads its replies and waits for fewer than
     * MAX_REQUESTS_IN_FLIGHT answers: what it sends meanwhile waits in its own buffers, not
     * in the daemon's memory. A connection with requests in flight or a subscription is busy.
     */
    const update = () => {
      if (!open) return;
      reader.hold(reader.inFlight >= MAX_REQUESTS_IN_FLIGHT || socket.writableNeedDrain);
      deadline.setBusy(reader.inFlight > 0 || closeCallbacks.length > 0);
    };
    const writer = new LimitedSocketWriter(socket, (message) => {
      const answered = answeredId(message);
      if (answered !== undefined) reader.answered(answered);
      update();
    });
    const reader = new LimitedSocketReader(socket, {
      send: (message) => void writer.write(message),
      heard: () => deadline.heard(),
      requested: update,
    }, this.pendingRequests);
    const connection = createMessageConnection(reader, writer, {
      // Once the client is gone, each message that was still to go fails: no news, and not worth a line each.
      error: (message) => open && this.log.error(message),
      warn: (message) => this.log.warn(message),
      info: () => {},
      log: () => {},
    });
    const entry = { socket, connection };
    this.connections.add(entry);
    const session: Session = {};
    const drop = () => {
      deadline.stop();
      if (!this.connections.delete(entry)) return;
      open = false;
      connection.dispose();
      socket.destroy();
      for (const callback of closeCallbacks.splice(0)) callback();
    };
    connection.onError(([error]) => {
      this.log.warn(`dropping a client connection: ${errorMessage(error)}`);
      drop();
    });
    connection.onClose(drop);
    socket.on('error', drop);
    socket.on('drain', update);
    const context: RequestContext = {
      notify: (method, params) => {
        // A client that has gone (ctrl-c during start's setup output) gets nothing more;
        // the work it asked for goes on, and its result is in the task and its log. One
        // that stops reading (a dashboard suspended with ctrl-z) is cut off by the writer
        // once MAX_UNREAD_BYTES wait for it; a subscriber connects again when it reads again.
        if (!open) return;
        try {
          void connection.sendNotification(method, params).catch(() => undefined);
        } catch {
          // Disposed meanwhile.
        }
      },
      onClose: (callback) => {
        if (!this.connections.has(entry)) return callback();
        closeCallbacks.push(callback);
        update();
      },
      session,
    };
    for (const route of this.routes) connection.onRequest(route.type.method, (params: unknown) => this.dispatch(route, params, context));
    connection.listen();
  }

  private async dispatch(route: Route, params: unknown, context: RequestContext): Promise<unknown> {
    await this.ready;
    const parsed = route.schema.safeParse(params ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` (${issue.path.join('.')})` : '';
      return new ResponseError(ErrorCodes.Usage, `Invalid parameters for ${route.type.method}${where}: ${issue?.message ?? 'malformed'}.`);
    }
    try {
      if (context.session.scope !== undefined) await this.authorize(route.type.method, parsed.data, context.session.scope);
      return await route.handler(parsed.data, context);
    } catch (error) {
      if (error instanceof OrchestraError) return new ResponseError(error.exitCode, error.message);
      this.log.error(`${route.type.method} failed: ${(error as Error).stack ?? errorMessage(error)}`);
      return new ResponseError(ErrorCodes.Failed, `Internal error in the daemon (${errorMessage(error)}); details are in the daemon log.`);
    }
  }
}

/** The id of the client's request that `message` answers; undefined for a notification or an error about no request in particular. */
function answeredId(message: Message): number | string | undefined {
  const { id } = message as { id?: unknown };
  return (typeof id === 'number' || typeof id === 'string') && !('method' in message) ? id : undefined;
}
