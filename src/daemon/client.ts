import { spawn } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_PROTOCOL_VERSION, ErrorCodes, Methods, type HelloResult, type Method } from '../../protocol/daemon.js';
import type { HolderConnection } from '../../protocol/holder-client.js';
import { JsonRpcClient, RpcRequestError } from '../../protocol/json-rpc-client.js';
import { OrchestraError } from '../core/errors.js';
import { checkPrivate, daemonSocketPath, userDirs } from '../core/paths.js';
import { VERSION } from '../core/version.js';
import { openPrivateFile } from '../platform/private-files.js';
import { Logger } from './log.js';

/**
 * A client's connection to the daemon. `connectDaemon` finds the running daemon, starts one
 * when none runs (as docker and watchman clients do), and replaces a daemon of another
 * version, so the user never manages the daemon by hand.
 */
export class DaemonClient {
  constructor(
    private readonly rpc: JsonRpcClient,
    readonly daemon: HelloResult,
  ) {}

  /** Sends one request; an error reply becomes an OrchestraError with the daemon's sentence and exit code. */
  async request<P, R>(type: Method<P, R>, params: P): Promise<R> {
    try {
      return await this.rpc.request<R>(type.method, params);
    } catch (error) {
      if (error instanceof RpcRequestError && (error.code === ErrorCodes.Failed || error.code === ErrorCodes.Usage)) {
        throw new OrchestraError(error.message, error.code);
      }
      // Anything else (the connection closed, an unhandled method) is about the daemon, not the request.
      const log = join(userDirs().state, 'daemon.log');
      throw new OrchestraError(`The daemon did not answer ${type.method} (${(error as Error).message}); run the command again, and see ${log} if it keeps failing.`);
    }
  }

  onNotification(method: string, handler: (params: unknown) => void): void {
    this.rpc.onNotification(method, handler);
  }

  /** Called when the daemon goes away (stopped, replaced, crashed); not after `close`. */
  onClose(handler: (reason: string) => void): void {
    this.rpc.onClose(handler);
  }

  close(): void {
    this.rpc.close();
  }
}

/** Runs `action` with a daemon connection (starting the daemon when none runs), then closes it. */
export async function withDaemon<T>(action: (client: DaemonClient) => Promise<T>): Promise<T> {
  const client = await connectDaemon();
  try {
    return await action(client);
  } finally {
    client.close();
  }
}

/** A control connection to the terminal of task `ref` of the project at `cwd` (for peek, send and screens). */
export async function openControl(cwd: string, ref: string): Promise<HolderConnection> {
  const info = await withDaemon((c) => c.request(Methods.terminal, { cwd, ref }));
  // Loaded here: every command loads this module, few talk to a terminal (start-up time).
  const { HolderConnection } = await import('../../protocol/holder-client.js');
  try {
    return await HolderConnection.open(info.socket, { role: 'control', cols: 80, rows: 24 });
  } catch (error) {
    throw new OrchestraError(`Could not reach task ${info.ref}'s terminal: ${(error as Error).message}.`);
  }
}

export interface ConnectOptions {
  /** Start a daemon when none runs (default true). With false, resolves to undefined instead. */
  start?: boolean;
  /** Where notices such as "replaced the daemon" go; default stderr. */
  notice?: (message: string) => void;
}

export async function connectDaemon(options: ConnectOptions & { start: false }): Promise<DaemonClient | undefined>;
export async function connectDaemon(options?: ConnectOptions): Promise<DaemonClient>;
export async function connectDaemon(options: ConnectOptions = {}): Promise<DaemonClient | undefined> {
  const socketPath = daemonSocketPath();
  const notice = options.notice ?? ((message: string) => process.stderr.write(`orchestra: ${message}\n`));
  let client = await tryConnect(socketPath);
  if (!client) {
    if (options.start === false) return undefined;
    client = await startDaemon(socketPath);
  }
  if (client.daemon.version !== VERSION || client.daemon.protocol !== DAEMON_PROTOCOL_VERSION) {
    const old = client.daemon;
    // The old daemon removes its socket before it replies, so the new one can start at once.
    await client.request(Methods.shutdown, {});
    client.close();
    client = await startDaemon(socketPath);
    notice(`replaced the running daemon (version ${old.version}, pid ${old.pid}) with version ${VERSION} (pid ${client.daemon.pid}).`);
  }
  return client;
}

/** Connects and shakes hands; undefined when nothing listens on the socket. */
async function tryConnect(socketPath: string, again = true): Promise<DaemonClient | undefined> {
  // Nothing is sent to a socket another user could have put there (DESIGN.md §2).
  if (!checkPrivate(dirname(socketPath), 'directory') || !checkPrivate(socketPath, 'socket')) return undefined;
  const socket = await new Promise<Socket | undefined>((resolve, reject) => {
    const s = connect(socketPath);
    s.once('connect', () => resolve(s));
    s.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') resolve(undefined);
      else reject(new OrchestraError(`Cannot reach the daemon at ${socketPath}: ${error.message}.`));
    });
  });
  if (!socket) return undefined;
  const rpc = new JsonRpcClient(socket);
  let hello: HelloResult;
  try {
    // An agent's credentials, where Orchestra gave them: the daemon limits this connection to its project.
    const token = agentToken();
    const project = process.env.ORCHESTRA_PROJECT_ROOT;
    hello = await rpc.request<HelloResult>(Methods.hello.method, { version: VERSION, protocol: DAEMON_PROTOCOL_VERSION, ...(token ? { token, project } : {}) });
  } catch (error) {
    rpc.close();
    // Refused: the daemon said why (credentials that are not this project's, too many clients).
    if (error instanceof RpcRequestError && error.code === ErrorCodes.Failed) throw new OrchestraError(error.message);
    if (!(error instanceof RpcRequestError) || error.code !== undefined) return undefined;
    // Accepted and closed unanswered. A daemon on its way down has removed its socket a moment
    // later (a new one starts); one that does so again is out of file descriptors, which
    // makes the system close connections for it, and would only turn away a new daemon too.
    if (again) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return tryConnect(socketPath, false);
    }
    throw new OrchestraError(
      `The daemon on ${socketPath} accepts connections and closes them unanswered, as a daemon out of file descriptors does; end its process ('orchestra daemon run'; agents keep running) and run the command again.`,
    );
  }
  return new DaemonClient(rpc, hello);
}

/** The credentials Orchestra gave the agent this runs in: ORCHESTRA_TOKEN, or the file ORCHESTRA_TOKEN_FILE names (an MCP server's). */
function agentToken(): string | undefined {
  const { ORCHESTRA_TOKEN: token, ORCHESTRA_TOKEN_FILE: file } = process.env;
  if (token) return token;
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch (error) {
    throw new OrchestraError(`Cannot read the agent's credentials in ${file} (ORCHESTRA_TOKEN_FILE): ${(error as Error).message}.`);
  }
}

const START_TIMEOUT_MS = 10_000;
/**
 * The daemon lives for days and answers in bursts: V8's young generation at 8 MiB (Node 26
 * lets it grow to 32 or more) keeps a flood of requests from leaving 60 MiB of garbage
 * resident (the fault suite's floods: 227 → 147 MiB peak under Node 26).
 */
const DAEMON_NODE_FLAGS = ['--max-semi-space-size=8'];

/** Starts `orchestra daemon run` detached from this process and waits until it answers. */
async function startDaemon(socketPath: string): Promise<DaemonClient> {
  // The daemon's output goes to its log. Made by its Logger, which makes the state directory
  // private, and says so in the log when an older Orchestra had left it open to others.
  const logPath = new Logger(join(userDirs().state, 'daemon.log')).path;
  const logFd = openPrivateFile(logPath, 'a');
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, cli, 'daemon', 'run'], { detached: true, stdio: ['ignore', logFd, logFd], cwd: '/' });
  closeSync(logFd);
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const client = await tryConnect(socketPath);
    if (client) return client;
    // A daemon that exited may have lost a start race to another one, which the next connect finds.
    if (exited && (await tryConnect(socketPath)) === undefined) break;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new OrchestraError(`The daemon did not start; its log ${logPath} says: ${lastLine(logPath)}`);
}

function lastLine(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    // A daemon that refused to start said why as the CLI says errors: the sentence is the news.
    return lines[lines.length - 1]?.replace(/^orchestra: /, '') || '(nothing)';
  } catch {
    return '(nothing)';
  }
}
