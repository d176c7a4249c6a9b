import { spawn } from 'node:child_process';
import { closeSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { HolderConnection, HolderGoneError } from '../../protocol/holder-client.js';
import { DEFAULT_HOLDER_REFRESH_MS, type ExitStatus, type HolderMeta, type HolderSpec, type HolderTask } from '../../protocol/holder.js';
import { errorMessage, OrchestraError } from '../core/errors.js';
import { describeExit } from '../core/exit-status.js';
import { assertSocketPathLength, ensurePrivateDir, type UserDirs } from '../core/paths.js';
import type { AgentLaunch, LaunchedAgent, TerminalEvents, TerminalState, Terminals } from '../core/terminals.js';
import { holderCommand, loginSessionContext } from '../platform/login-session.js';
import { makePrivateDir, openPrivateFile, writePrivateFile } from '../platform/private-files.js';
import { isSameProcess, signalGroupOf, type ProcessIdentity } from '../platform/process-identity.js';
import { hangUpTree } from '../platform/process-tree.js';
import { ensurePtyHelperExecutable, PtyHelperError } from '../platform/pty-helper.js';
import type { Logger } from './log.js';

const HOLDER_MAIN = fileURLToPath(new URL('../holder/main.js', import.meta.url));
/**
 * One V8 helper thread instead of four: a holder idles most of its life, and the threads'
 * memory counts once per agent (−2 MB RSS each); parsing a 30 MB flood is no slower (bench/).
 */
const HOLDER_NODE_FLAGS = [
  '--v8-pool-size=1',
  // A screen pattern that backtracks without end (one the config check cannot see, as
  // (a|a)*b) switches to V8's linear-time engine instead of freezing the holder.
  '--enable-experimental-regexp-engine-on-excessive-backtracks',
];
const LAUNCH_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 15_000;
const EARLY_EXIT_MS = 600;


/** How often a holder renews its files against /tmp cleaners; ORCHESTRA_HOLDER_REFRESH_MS shortens it for tests. */
const HOLDER_REFRESH_MS = Number(process.env.ORCHESTRA_HOLDER_REFRESH_MS) || DEFAULT_HOLDER_REFRESH_MS;

/** A holder the daemon watches over its control connection. */
interface Tracked {
  key: string;
  task: HolderTask;
  pid: number;
  agent: ProcessIdentity;
  connection: HolderConnection;
  viewers: number;
  exit: ExitStatus | undefined;
  /** Resolves when the holder has gone, with how the agent ended. */
  ended: Promise<ExitStatus | null>;
  /** Resolves once the agent's end has been recorded in the task. */
  finished: Promise<ExitStatus | null>;
}

/**
 * The daemon's side of the holders (DESIGN.md §1): starts them detached, keeps a control
 * connection to each to learn of viewers and exits, and after a daemon restart finds them
 * again from `holders/<key>.json` and their sockets. Holders never depend on it.
 */
export class HolderSupervisor implements Terminals {
  readonly dir: string;
  private readonly holders = new Map<string, Tracked>();
  /** Keys being launched or adopted, which a rescan leaves to that work. */
  private readonly busy = new Set<string>();

  constructor(
    dirs: UserDirs,
    private readonly log: Logger,
    private readonly events: TerminalEvents,
  ) {
    this.dir = join(dirs.runtime, 'holders');
  }

  socketPath(key: string): string {
    return join(this.dir, `${key}.sock`);
  }

  private metaPath(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  state(key: string): TerminalState | undefined {
    const tracked = this.holders.get(key);
    return tracked ? { socket: this.socketPath(key), viewers: tracked.viewers } : undefined;
  }

  /**
   * Finds the holders that run (adopting them) and records the agents that ended while no
   * daemon watched. A holder is known by its metadata file or, if a /tmp cleaner took that,
   * by its socket; holders already tracked are left as they are, so this may run again.
   */
  async rediscover(): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    const keys = new Set<string>();
    for (const name of names) {
      if (name.endsWith('.spec.json')) continue;
      const key = /^(.+)\.(json|sock)$/.exec(name)?.[1];
      if (key && !this.holders.has(key) && !this.busy.has(key)) keys.add(key);
    }
    await Promise.all([...keys].map((key) => this.adopt(key)));
  }

  /** Runs `work` on `key` with the key marked busy, so that a rescan leaves it alone meanwhile. */
  private async whileBusy<T>(key: string, work: () => Promise<T>): Promise<T> {
    this.busy.add(key);
    try {
      return await work();
    } finally {
      this.busy.delete(key);
    }
  }

  private adopt(key: string): Promise<void> {
    return this.whileBusy(key, () => this.adoptNow(key));
  }

  private async adoptNow(key: string): Promise<void> {
    const meta = this.readMeta(key);
    if (!meta && !existsSync(this.socketPath(key))) return;
    try {
      const connection = await HolderConnection.open(this.socketPath(key), { role: 'control', cols: 80, rows: 24, timeoutMs: 2000 });
      // The core hears of it before its first verdict on the screen, which follows the handshake.
      await this.events.found(connection.hello.task, connection.hello.agent);
      this.track(key, connection);
      const { task, pid } = connection.hello;
      this.log.info(`found holder ${key} of task ${task.id}:${task.slug} (pid ${pid}) again`);
    } catch (error) {
      if (!meta) {
        // A socket without metadata that nobody serves: a leftover.
        if (error instanceof HolderGoneError) rmSync(this.socketPath(key), { force: true });
        return;
      }
      if (!(error instanceof HolderGoneError)) {
        // Alive but not ours to talk to (another protocol version after an upgrade, or
        // hung): leave it and its agent alone rather than take it for dead.
        this.log.warn(`holder ${key} of task ${meta.task.id}:${meta.task.slug} runs but did not shake hands (${errorMessage(error)}); leaving it alone`);
        return;
      }
      const cause = meta.exit ? 'while no daemon was running' : 'its holder was gone when the daemon started';
      await this.finish(key, meta.task, meta.exit, cause, { pid: meta.pid, agent: { pid: meta.agent_pid, start: meta.agent_start }, orphaned: !meta.exit });
    }
  }

  launch(launch: AgentLaunch): Promise<LaunchedAgent> {
    return this.whileBusy(launch.key, () => this.launchNow(launch));
  }

  private async launchNow(launch: AgentLaunch): Promise<LaunchedAgent> {
    try {
      for (const helper of ensurePtyHelperExecutable()) this.log.info(`made node-pty's ${helper} executable (its package ships it without the execute bit)`);
    } catch (error) {
      if (error instanceof PtyHelperError) throw new OrchestraError(error.message);
      throw error;
    }
    ensurePrivateDir(dirname(this.dir));
    this.makePrivateDir(this.dir);
    const socket = this.socketPath(launch.key);
    assertSocketPathLength(socket);
    await this.clearSocket(launch.key, launch.task);
    const specPath = join(this.dir, `${launch.key}.spec.json`);
    const spec: HolderSpec = {
      key: launch.key,
      socket,
      meta: this.metaPath(launch.key),
      command: launch.argv,
      cwd: launch.cwd,
      env: launch.env,
      cols: launch.cols,
      rows: launch.rows,
      scrollback: 10_000,
      task: launch.task,
      agent: launch.agent,
      activity: launch.activity,
      refresh_ms: HOLDER_REFRESH_MS,
    };
    // Private: it holds the agent's environment (API keys) and prompt until the holder has read it.
    writePrivateFile(specPath, JSON.stringify(spec));
    this.makePrivateDir(dirname(launch.logPath));
    const logFd = openPrivateFile(launch.logPath, 'a');
    // Outside the login session where systemd runs it, so that a logout does not end the agent.
    const [file, ...args] = holderCommand([process.execPath, ...HOLDER_NODE_FLAGS, HOLDER_MAIN, specPath], `orchestra-holder-${launch.key}-${Date.now()}`, loginSessionContext());
    const child = spawn(file!, args, { detached: true, stdio: ['ignore', logFd, logFd], cwd: '/' });
    closeSync(logFd);
    child.unref();
    let exited: number | null | undefined;
    const childExit = new Promise<void>((resolve) => child.once('exit', (code) => resolve(void (exited = code))));
    const deadline = Date.now() + LAUNCH_TIMEOUT_MS;
    try {
      for (;;) {
        try {
          const connection = await HolderConnection.open(socket, { role: 'control', cols: launch.cols, rows: launch.rows });
          const tracked = this.track(launch.key, connection);
          this.log.info(`started holder ${launch.key} (pid ${child.pid}) for task ${launch.task.id}:${launch.task.slug}: ${launch.shown.join(' ')}`);
          // An agent that cannot run (a bad flag, a missing key) usually ends at once; so does a
          // scripted one that did its work. The core tells which from the exit status, and
          // records the start meanwhile.
          return { agent_pid: tracked.agent.pid, early: Promise.race([tracked.ended, delay(EARLY_EXIT_MS, undefined)]) };
        } catch (error) {
          if (!(error instanceof HolderGoneError)) throw error;
        }
        if (exited !== undefined || Date.now() > deadline) {
          // The agent may have come and gone before the first handshake: its holder says how,
          // and its end is recorded as any other's (once this start is: not awaited here).
          const meta = exited !== undefined ? this.readMeta(launch.key) : undefined;
          if (meta?.exit) {
            void this.finish(launch.key, launch.task, meta.exit, '', { pid: meta.pid, agent: { pid: meta.agent_pid, start: meta.agent_start }, orphaned: false });
            return { agent_pid: meta.agent_pid, early: Promise.resolve(meta.exit) };
          }
          const why = exited !== undefined ? `exited with status ${exited}` : `did not answer within ${LAUNCH_TIMEOUT_MS / 1000} s`;
          const scope = file !== process.execPath ? ` It was started in a systemd user scope; ORCHESTRA_SYSTEMD_SCOPE=0 in the daemon's environment turns that off.` : '';
          throw new OrchestraError(`The terminal holder for the agent ${why}; see ${launch.logPath}.${scope}`);
        }
        await delay(20);
      }
    } catch (error) {
      // A failed start leaves nothing running: the worktree is about to be discarded.
      if (exited === undefined) {
        const meta = this.readMeta(launch.key);
        if (meta) signalGroupOf({ pid: meta.agent_pid, start: meta.agent_start }, 'SIGKILL');
        child.kill('SIGKILL');
        await Promise.race([childExit, delay(2000)]);
      }
      this.holders.delete(launch.key);
      for (const file of [specPath, this.metaPath(launch.key), socket]) rmSync(file, { force: true });
      throw error;
    }
  }

  /**
   * Makes way for a new holder of `key`. A socket nobody serves is a leftover; one that
   * answers belongs to a holder this daemon does not track (one that would not shake hands
   * after an upgrade): a second agent beside it is refused.
   */
  private async clearSocket(key: string, task: HolderTask): Promise<void> {
    const socket = this.socketPath(key);
    if (!existsSync(socket)) return;
    try {
      const connection = await HolderConnection.open(socket, { role: 'control', cols: 80, rows: 24, timeoutMs: 2000 });
      await this.events.found(connection.hello.task, connection.hello.agent);
      this.track(key, connection);
      throw new OrchestraError(`Task ${task.id}:${task.slug}'s agent is running already; attach to it with 'orchestra attach ${task.id}'.`);
    } catch (error) {
      if (error instanceof OrchestraError) throw error;
      if (!(error instanceof HolderGoneError)) {
        const pid = this.readMeta(key)?.pid;
        throw new OrchestraError(
          `An agent of task ${task.id}:${task.slug} still runs under a holder this Orchestra cannot talk to (${errorMessage(error)}); end it${pid ? ` with 'kill ${pid}'` : ''} and start again.`,
        );
      }
    }
    rmSync(socket, { force: true });
  }

  async stop(key: string, force: boolean): Promise<ExitStatus | null> {
    const tracked = this.holders.get(key);
    if (!tracked) return null;
    tracked.connection.send({ t: 'stop', force });
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new OrchestraError(`The agent of task ${tracked.task.id}:${tracked.task.slug} did not end within ${STOP_TIMEOUT_MS / 1000} s; try 'orchestra stop ${tracked.task.id} --force'.`)), STOP_TIMEOUT_MS).unref(),
    );
    return Promise.race([tracked.finished, timeout]);
  }

  /**
   * Stops the agents whose project has been deleted: nobody can reach them through
   * Orchestra any more (every command works on a project), and their worktrees, which stay,
   * lost their repository with it.
   */
  stopOrphans(): void {
    for (const tracked of this.holders.values()) {
      if (existsSync(tracked.task.project)) continue;
      this.log.warn(`stopping task ${tracked.task.id}:${tracked.task.slug}: its project ${tracked.task.project} is gone`);
      tracked.connection.send({ t: 'stop', force: false });
    }
  }

  /** Lets go of every holder without touching it (the daemon is stopping; the agents go on). */
  release(): void {
    for (const tracked of this.holders.values()) tracked.connection.close();
    this.holders.clear();
  }

  private track(key: string, connection: HolderConnection): Tracked {
    let resolveEnded!: (status: ExitStatus | null) => void;
    let resolveFinished!: (status: ExitStatus | null) => void;
    const tracked: Tracked = {
      key,
      task: connection.hello.task,
      pid: connection.hello.pid,
      agent: { pid: connection.hello.agent_pid, start: connection.hello.agent_start },
      connection,
      viewers: connection.hello.viewers,
      exit: undefined,
      ended: new Promise((resolve) => (resolveEnded = resolve)),
      finished: new Promise((resolve) => (resolveFinished = resolve)),
    };
    this.holders.set(key, tracked);
    this.events.changed(tracked.task);
    connection.onMessage((message) => {
      if (message.t === 'viewers') {
        tracked.viewers = message.count;
        this.events.changed(tracked.task);
      } else if (message.t === 'activity') this.events.activity(tracked.task, { state: message.state, reason: message.reason, cause: message.cause, ...(message.shown === true ? { shown: true } : {}) });
      else if (message.t === 'exit') tracked.exit = { code: message.code, signal: message.signal };
    });
    connection.onClose(() => {
      if (this.holders.get(key) !== tracked) return; // Released.
      // The holder records the exit in its metadata before it says so; either tells.
      const exit = tracked.exit ?? this.readMeta(key)?.exit ?? null;
      const cause = exit ? '' : 'its holder process died';
      resolveEnded(exit);
      void this.finish(key, tracked.task, exit, cause, { pid: tracked.pid, agent: tracked.agent, orphaned: !exit }).then(() => resolveFinished(exit));
    });
    return tracked;
  }

  /**
   * Records an agent's end and removes its holder's files. An agent whose holder died
   * has lost its terminal; what is left of it is ended rather than left to run unseen.
   */
  private async finish(key: string, task: HolderTask, exit: ExitStatus | null, cause: string, holder: { pid: number; agent: ProcessIdentity; orphaned: boolean }): Promise<void> {
    // Its files go first, and only if they are still its own: a start right after this
    // must not lose the files of its new holder.
    const meta = this.readMeta(key);
    if (!meta || meta.pid === holder.pid) for (const file of [this.metaPath(key), this.socketPath(key)]) rmSync(file, { force: true });
    // Only the agent that was recorded: after a reboot, or long after, its pid may be anybody's.
    // Its terminal keeper (src/holder/terminal-keeper.ts) kept it from being hung up with its
    // holder, so its whole tree is there to be ended, before its end is recorded: a start
    // that follows finds nothing of it. (The keeper does the same; either suffices.)
    if (holder.orphaned && isSameProcess(holder.agent) && !(await hangUpTree(holder.agent))) {
      this.log.warn(`task ${task.id}:${task.slug}: some processes of its agent (pid ${holder.agent.pid}) did not end after SIGKILL`);
    }
    try {
      await this.events.exited(task, exit, cause);
    } catch (error) {
      this.log.error(`could not record the end of task ${task.id}:${task.slug}: ${errorMessage(error)}`);
    }
    // Known as running until its end is recorded, so that no start slips in between.
    if (this.holders.get(key)?.agent.pid === holder.agent.pid) {
      this.holders.delete(key);
      this.events.changed(task);
    }
    this.log.info(`task ${task.id}:${task.slug}: agent ended: ${describeExit(exit)}${cause ? ` (${cause})` : ''}`);
  }

  /** Makes `dir` private, and says so when an older Orchestra had left it open. */
  private makePrivateDir(dir: string): void {
    const tightened = makePrivateDir(dir);
    if (tightened) this.log.info(tightened);
  }

  private readMeta(key: string): HolderMeta | undefined {
    try {
      return JSON.parse(readFileSync(this.metaPath(key), 'utf8')) as HolderMeta;
    } catch {
      return undefined;
    }
  }
}
