import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DAEMON_PROTOCOL_VERSION, Methods, SETUP_OUTPUT_NOTIFICATION, TASKS_CHANGED_NOTIFICATION } from '../../protocol/daemon.js';
import { Params } from '../../protocol/daemon-params.js';
import { assertUsableGit } from '../core/git.js';
import { OrchestraError } from '../core/errors.js';
import { Orchestra, outsideScope } from '../core/orchestra.js';
import { assertSocketPathLength, daemonSocketPath, ensurePrivateDir, userDirs } from '../core/paths.js';
import { VERSION } from '../core/version.js';
import { AgentTokens } from './agent-tokens.js';
import { daemonEnvironment } from './environment.js';
import { HolderSupervisor } from './holder-supervisor.js';
import { Logger } from './log.js';
import { RpcServer } from './rpc-server.js';

/**
 * `orchestra daemon run`: the one daemon of this user. It serves every project over
 * JSON-RPC and holds no terminal, so stopping or replacing it never touches an agent.
 * Resolves when the daemon has shut down.
 */
export async function runDaemon(): Promise<void> {
  const dirs = userDirs();
  const socketPath = daemonSocketPath();
  assertSocketPathLength(socketPath);
  // From here on the environment is the user's, not the starting client's.
  const env = daemonEnvironment(process.env);
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  Object.assign(process.env, env);
  assertUsableGit();
  ensurePrivateDir(dirname(socketPath));
  const log = new Logger(join(dirs.state, 'daemon.log'));
  // The core and the supervisor know each other only through the Terminals interface and this listener.
  const holders = new HolderSupervisor(dirs, log, {
    found: (task, agent) => core.agentFound(task, agent),
    activity: (task, verdict) => core.agentActivity(task, verdict),
    exited: (task, status, cause) => core.agentExited(task, status, cause),
    changed: (task) => core.terminalChanged(task),
  });
  const tokens = AgentTokens.load(dirs.state);
  const core = new Orchestra({ dirs, terminals: holders, daemonSocket: socketPath, agentToken: (root) => tokens.forProject(root) });
  const server = new RpcServer(socketPath, log);
  const started = new Date().toISOString();

  let stopping = false;
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const stop = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`stopping (${reason})`);
    await server.close();
    core.close();
    holders.release();
    markStopped();
  };

  server.on(Methods.hello, Params.hello, (p, context) => {
    if (p.token !== undefined) {
      // An agent's client: from here on it reaches its own project only.
      if (!p.project || !tokens.grants(p.project, p.token)) {
        throw new OrchestraError("The ORCHESTRA_TOKEN in this environment does not belong to its ORCHESTRA_PROJECT_ROOT for this daemon; start the agent again with 'orchestra start', or unset both to act as yourself.");
      }
      context.session.scope = p.project;
    }
    return { version: VERSION, protocol: DAEMON_PROTOCOL_VERSION, pid: process.pid };
  });
  server.authorize = async (method, params, scope) => {
    // Shutting down is allowed: a client of a newer version replaces the daemon so, and agents go on.
    if (method === Methods.shutdown.method) return;
    if (method === Methods.status.method) throw new OrchestraError(outsideScope(scope, "the daemon's status lists every project"));
    await core.assertWithin(scope, params as { cwd?: string; all?: boolean });
  };
  server.on(Methods.status, Params.none, () => ({
    pid: process.pid,
    version: VERSION,
    protocol: DAEMON_PROTOCOL_VERSION,
    started,
    socket: socketPath,
    log: log.path,
    projects: core.registry.list().filter((root) => existsSync(root)),
  }));
  server.on(Methods.shutdown, Params.none, () => {
    // The asking client hangs up once it has this reply; close() waits for that.
    void stop('asked by a client');
    return null;
  });
  server.on(Methods.initProject, Params.project, (p) => core.initProject(p.cwd));
  server.on(Methods.prepareTask, Params.prepareTask, (p) => core.prepareTask(p));
  server.on(Methods.createTask, Params.createTask, (p) => core.createTask(p));
  server.on(Methods.listTasks, Params.listTasks, (p) => core.listTasks(p));
  server.on(Methods.subscribeTasks, Params.listTasks, async (p, context) => {
    const { list, unsubscribe } = await core.subscribeTasks(p, (change) => context.notify(TASKS_CHANGED_NOTIFICATION, change));
    context.onClose(unsubscribe);
    return list;
  });
  server.on(Methods.getTask, Params.taskRef, (p) => core.getTask(p.cwd, p.ref));
  server.on(Methods.taskPath, Params.taskRef, (p) => core.taskPath(p.cwd, p.ref));
  server.on(Methods.completeTask, Params.taskRef, (p) => core.completeTask(p.cwd, p.ref));
  server.on(Methods.reviewTask, Params.taskRef, (p) => core.reviewTask(p.cwd, p.ref));
  server.on(Methods.setTaskStatus, Params.setStatus, (p) => core.setTaskStatus(p.cwd, p.ref, p.status));
  server.on(Methods.removeTask, Params.removeTask, (p) => core.removeTask(p));
  server.on(Methods.mergeTask, Params.mergeTask, (p) => core.mergeTask(p));
  server.on(Methods.startTask, Params.startTask, (p, context) => core.startTask(p, (data) => context.notify(SETUP_OUTPUT_NOTIFICATION, { data })));
  server.on(Methods.stopTask, Params.stopTask, (p) => core.stopTask(p.cwd, p.ref, p.force ?? false));
  server.on(Methods.terminal, Params.taskRef, (p) => core.terminal(p.cwd, p.ref));
  server.on(Methods.report, Params.report, (p) => core.reportActivity(p));

  await server.listen();
  // Agents outlive daemons: find the ones that run, and record those that ended meanwhile.
  // A holder that cannot be adopted is logged, never a reason to answer nobody.
  server.ready = holders
    .rediscover()
    .then(() => holders.stopOrphans())
    // Operations a killed daemon left half done are finished or undone, knowing which agents run.
    .then(() => core.heal())
    .then((lines) => lines.forEach((line) => log.info(line)))
    .catch((error: unknown) => log.error(`finding the running agents or healing what a stopped daemon left failed: ${(error as Error).stack ?? String(error)}`));
  setInterval(() => {
    // Projects deleted while their agents run are noticed within a minute.
    holders.stopOrphans();
    // Holders whose files a /tmp cleaner took and their holder has made again.
    void holders.rediscover();
    // The socket is renewed against /tmp cleaners; a daemon whose socket is gone anyway can
    // be reached by nobody, and makes way for the one the next client starts.
    if (!server.renewSocket()) void stop('its socket was removed');
  }, 60_000).unref();
  log.info(`daemon ${VERSION} (pid ${process.pid}) listening on ${socketPath}`);
  // The daemon outlives the terminal that started it.
  process.on('SIGHUP', () => {});
  // A bug met while serving one client must not end every agent's daemon: logged with its
  // stack, and the daemon serves on.
  process.on('uncaughtException', (error) => log.error(`unexpected error, serving on: ${error.stack ?? String(error)}`));
  process.on('unhandledRejection', (reason) => log.error(`unexpected rejection, serving on: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // A second signal while stopping means "now".
    process.on(signal, () => (stopping ? process.exit(1) : void stop(signal)));
  }
  await stopped;
  log.info('stopped');
}
