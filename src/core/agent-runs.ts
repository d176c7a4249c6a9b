import { existsSync } from 'node:fs';
import type { StartTaskParams, TerminalInfo } from '../../protocol/daemon.js';
import type { ExitStatus, HolderTask } from '../../protocol/holder.js';
import { agentInvocation, agentProfile, assertKnownAgent, prepareWorktree, taskPrompt } from './agent-profile.js';
import type { AgentStatus } from './agent-status.js';
import { DEFAULT_CONFIG } from './config.js';
import { OrchestraError } from './errors.js';
import { describeExit } from './exit-status.js';
import type { UserDirs } from './paths.js';
import type { Project } from './project.js';
import type { ProjectLocks } from './project-lock.js';
import { faultPoint } from './fault-points.js';
import { mergedAway, startRefusal } from './merged-away.js';
import { runSetup } from './setup.js';
import { TaskLog } from './task-log.js';
import { refOf, type TaskChanges, type TaskRecord } from './task-store.js';
import { holderKey, type LaunchedAgent } from './terminals.js';
import { discardWorktree, ensureWorktree, taskBranch, taskWorktreePath, verifiedWorktree, worktreeWork, type TaskWorktree } from './worktree.js';
import type { Intents } from './intents.js';
import { lastScreen } from './last-screen.js';
import { dirname } from 'node:path';
import { makePrivateDir } from '../platform/private-files.js';
import { execOverflow, fitsOneArgument } from '../platform/exec-limits.js';

/**
 * Running a task's agent: starting it in its worktree (made and set up on first start),
 * stopping it, reaching its terminal, and recording its end. The terminals themselves
 * belong to the project's Terminals (the daemon's holder supervisor).
 */
export class AgentRuns {
  /** Starts in progress, by holder key: a second start is refused, and an exit waits for the start to be recorded. */
  private readonly starting = new Map<string, Promise<unknown>>();

  constructor(
    private readonly dirs: UserDirs,
    /** The daemon's socket, which agents get as ORCHESTRA_SOCKET. */
    private readonly daemonSocket: string,
    /** The project's credentials, which agents get as ORCHESTRA_TOKEN. */
    private readonly agentToken: (root: string) => string,
    private readonly status: AgentStatus,
    private readonly locks: ProjectLocks,
    private readonly intents: Intents,
  ) {}

  /**
   * Starts the task's agent in the background (DESIGN.md §1): its worktree (made on first
   * start), the setup script in a new worktree (its output goes to `output` and the task's
   * log), then a holder running the agent. Until the holder runs, nothing about the task
   * changes: a failed start leaves it as it was.
   */
  async start(project: Project, task: TaskRecord, params: StartTaskParams, output: (chunk: string) => void): Promise<TaskRecord> {
    const key = holderKey(project.root, task.id);
    const refusal = startRefusal(refOf(task), task);
    if (refusal) throw new OrchestraError(refusal);
    if (project.terminals.state(key) || this.starting.has(key)) {
      throw new OrchestraError(`Task ${refOf(task)}'s agent is running already; attach to it with 'orchestra attach ${task.id}'.`);
    }
    const started = this.run(project, task, key, params, output);
    this.starting.set(key, started);
    // What the agent does is followed from its first moment; it is written once the start is.
    const run = this.status.begin(key, { root: project.root, id: task.id }, { state: 'running', traits: { agentReports: false, prompted: true }, ready: started });
    try {
      return await started;
    } catch (error) {
      // That run only: a start refused because the agent runs already has adopted that one.
      this.status.end(key, run);
      throw error;
    } finally {
      this.starting.delete(key);
    }
  }

  private async run(project: Project, task: TaskRecord, key: string, params: StartTaskParams, output: (chunk: string) => void): Promise<TaskRecord> {
    const { root, config } = project;
    const agentName = params.agent ?? task.agent ?? config.agent;
    assertKnownAgent(agentName, config);
    const profile = agentProfile(agentName, config);
    const log = new TaskLog(this.dirs, root, task);
    const branch = task.branch ?? taskBranch(config, task);
    // The recorded worktree only where git lists it on the task's branch: a task file may name any directory.
    const path = (await verifiedWorktree(root, task, branch)) ?? taskWorktreePath(config, this.dirs, root, task);
    const token = this.agentToken(root);
    const vars: Record<string, string> = {
      ORCHESTRA_TASK_ID: String(task.id),
      ORCHESTRA_TASK_SLUG: task.slug,
      ORCHESTRA_TASK_FILE: task.path,
      ORCHESTRA_WORKTREE: path,
      ORCHESTRA_BRANCH: branch,
      ORCHESTRA_BASE_BRANCH: task.base_branch ?? '',
      ORCHESTRA_PROJECT_ROOT: root,
      ORCHESTRA_AGENT: agentName,
      ORCHESTRA_SOCKET: this.daemonSocket,
      // The agent's credentials (src/daemon/agent-tokens.ts): in its environment, which only
      // this user can read, and for the MCP server by file (its config goes on a command line).
      ORCHESTRA_TOKEN: token,
      ORCHESTRA_TOKEN_FILE: log.writeToken(token),
    };
    const env = { ...params.env, ...profile.env, ...vars };
    // The agent ran in this worktree before: continue its conversation where it can.
    const resume = task.worktree === path && existsSync(path) && task.status !== 'draft';
    const prompt = taskPrompt(task, branch);
    const promptFile = log.writePrompt(prompt);
    // A prompt longer than a command line takes ("Argument list too long") goes by file: the
    // agent is asked to read it there. Every agent can read a file; not every one takes a path.
    const byFile = !fitsOneArgument(prompt);
    const given = byFile ? promptByFile(promptFile, prompt) : prompt;
    const values = { prompt: given, prompt_file: promptFile, task_id: String(task.id), slug: task.slug, worktree: path };
    // Checked before anything is made, so a missing agent costs nothing.
    const invocation = agentInvocation(profile, values, resume, env);
    const overflow = execOverflow(invocation.argv, { ...env, ...invocation.env });
    if (overflow) {
      throw new OrchestraError(`The agent of task ${refOf(task)} cannot be started: ${overflow}. Shorten what is that long (a variable of the shell that runs start, or the profile's env).`);
    }
    if (byFile) log.event(`the prompt (${Buffer.byteLength(prompt)} bytes) is longer than a command line takes: the agent is asked to read it from ${promptFile}`);
    // A resumed agent waits at its prompt; one given the task's prompt works from its first moment.
    this.status.know(key, { agentReports: profile.reports, prompted: !invocation.resumed });

    // git makes missing parents with the umask's mode; Orchestra's own folders are private.
    if (path.startsWith(`${this.dirs.data}/`)) makePrivateDir(dirname(path));
    // Recorded before the first step: a daemon killed before the last one finishes or undoes it when it starts again (Orchestra.heal).
    const intent = this.intents.record(key, { op: 'start', project: root, id: task.id, branch, worktree: path });
    try {
      await faultPoint('start:intent');
      const worktree = await this.locks.run(root, () => ensureWorktree(root, task, path, branch));
      intent.update({ made: { created: worktree.created, createdBranch: worktree.createdBranch } });
      let launched: LaunchedAgent | undefined;
      try {
        await faultPoint('start:worktree');
        if (worktree.created) log.event(`created worktree ${worktree.path} on branch ${worktree.branch} from ${task.base_branch}`);
        if (worktree.adopted) log.event(`took up worktree ${worktree.path}, left by a start that did not finish`);
        if ((worktree.created || worktree.adopted) && !params.skip_setup) await this.runSetup(project, log, worktree, { ...params.env, ...vars }, output);
        await faultPoint('start:setup');
        const prepared = await prepareWorktree(profile, { root, worktree: worktree.path, env });
        for (const line of prepared.lines) log.event(line);
        launched = await project.terminals.launch({
          key,
          task: { id: task.id, slug: task.slug, project: root },
          agent: agentName,
          argv: invocation.argv,
          shown: invocation.shown,
          cwd: worktree.path,
          env: { ...env, ...invocation.env, ...prepared.env },
          cols: params.cols ?? 120,
          rows: params.rows ?? 36,
          logPath: log.path,
          activity: { idle_after_ms: profile.idle_after * 1000, patterns: profile.patterns },
        });
        log.event(`started agent '${agentName}'${invocation.resumed ? ' (resuming its conversation)' : ''}, pid ${launched.agent_pid}: ${invocation.shown.join(' ')}`);
      } catch (error) {
        await this.undoWorktree(project, task, worktree, log);
        throw error;
      }
      await faultPoint('start:launched');
      // The agent runs: the task shows it at once, while start watches it for its first moments.
      const changes: TaskChanges = { status: 'running', exit_code: undefined, branch: worktree.branch, worktree: worktree.path };
      if (params.agent !== undefined) changes.agent = params.agent;
      const started = await project.store.update(task, changes);
      const quick = await launched.early;
      // An agent that cannot run (a bad flag, a missing key) ends at once, and says why on its
      // screen: a failed start, with its last lines, and the task as it was. One that ends at
      // once with status 0 (a scripted agent that did its work) has started, and is done.
      if (quick !== undefined && quick?.code !== 0) {
        const before: TaskChanges = { status: task.status, exit_code: task.exit_code ?? undefined, branch: task.branch ?? undefined, worktree: task.worktree ?? undefined, agent: task.agent };
        await this.undoWorktree(project, await project.store.update(started, before), worktree, log);
        throw new OrchestraError(`The agent exited at once (${describeExit(quick)}).${lastLines(log.path)}`);
      }
      if (!quick) return started;
      log.event('the agent ended at once with exit code 0: started, and done');
      return await project.store.update(started, { status: 'idle', exit_code: 0 });
    } finally {
      intent.done();
    }
  }

  /**
   * Undoes what a failed start made: the worktree it created, unless it holds work (an agent
   * that wrote files or commits before it failed), which is kept and recorded on the task so
   * that nothing is lost and the next start takes it up.
   */
  private async undoWorktree(project: Project, task: TaskRecord, worktree: TaskWorktree, log: TaskLog): Promise<void> {
    const { root } = project;
    if (!worktree.created) return;
    const work = await worktreeWork(root, task.base_branch, worktree);
    if (work) {
      log.event(`kept worktree ${worktree.path}: it holds ${work}`);
      await project.store.update(task, { branch: worktree.branch, worktree: worktree.path });
      return;
    }
    await this.locks.run(root, () => discardWorktree(root, worktree));
  }

  private async runSetup(project: Project, log: TaskLog, worktree: TaskWorktree, env: Record<string, string>, output: (chunk: string) => void): Promise<void> {
    const { script, timeout } = project.config.setup;
    try {
      const ran = await runSetup({
        script,
        optional: script === DEFAULT_CONFIG.setup.script,
        root: project.root,
        worktree: worktree.path,
        timeoutSeconds: timeout,
        env,
        started: () => log.event(`setup: running ${script}`),
        output: (chunk) => {
          log.raw(chunk);
          output(chunk);
        },
        logPath: log.path,
      });
      log.event(ran ? 'setup: finished' : `setup: no ${script}, nothing to run`);
    } catch (error) {
      log.event(`setup: ${(error as Error).message}`);
      throw error;
    }
  }

  /** Ends the task's agent (gracefully unless `force`); the worktree stays as it is. Null when none ran. */
  async stop(project: Project, task: TaskRecord, force: boolean): Promise<ExitStatus | null> {
    const key = holderKey(project.root, task.id);
    if (project.terminals.state(key)) new TaskLog(this.dirs, project.root, task).event(`stopping the agent, as asked${force ? ' (--force)' : ''}`);
    return project.terminals.stop(key, force);
  }

  /** Where to reach the task's terminal (for attach and peek), and the detach key to use. */
  terminal(project: Project, task: TaskRecord): TerminalInfo {
    const state = project.terminals.state(holderKey(project.root, task.id));
    if (!state) {
      const gone = mergedAway(refOf(task), task);
      if (gone) throw new OrchestraError(`${gone}, so no agent runs for it.`);
      const how = task.status === 'draft' ? `start it with 'orchestra start ${task.id}'` : `start it again with 'orchestra start ${task.id}'`;
      throw new OrchestraError(`Task ${refOf(task)}'s agent is not running; ${how}.`);
    }
    // A broken config does not keep anyone from a running agent.
    const detachKey = project.configError ? DEFAULT_CONFIG.detach_key : project.config.detach_key;
    return { ref: refOf(task), socket: state.socket, detach_key: detachKey };
  }

  /**
   * Records that a task's agent has ended: the task goes idle (a completed or reviewed
   * task keeps its status) with the exit code, waiting for nothing, and the log says why.
   */
  async exited(project: Project, holder: HolderTask, status: ExitStatus | null, cause: string): Promise<void> {
    // An agent that ends right after it started: its start is recorded first, then its end;
    // if the start failed because of it, the task stays as it was.
    const key = holderKey(project.root, holder.id);
    this.status.end(key);
    const start = this.starting.get(key);
    const startFailed = start ? await start.then(() => false, () => true) : false;
    let task: TaskRecord;
    try {
      task = await project.store.resolve(String(holder.id));
    } catch {
      return; // The task file is gone; there is nothing to record in.
    }
    const code = status === null ? null : (status.code ?? 128 + (status.signal ?? 0));
    new TaskLog(this.dirs, project.root, task).event(`agent ended: ${describeExit(status)}${cause ? ` (${cause})` : ''}`);
    if (startFailed) return;
    // An agent that has ended waits for nobody.
    const changes: TaskChanges = { exit_code: code ?? undefined, waiting: undefined };
    if (task.status === 'running') changes.status = 'idle';
    await project.store.update(task, changes);
  }
}

/** How many of the agent's last lines a failed start shows. */
const LAST_LINES = 12;

/** The last lines the agent showed before it ended, from its log, as the end of an error. */
function lastLines(logPath: string): string {
  const screen = lastScreen(logPath);
  const shown = (screen ?? []).slice(-LAST_LINES).map((line) => line.trimEnd());
  if (shown.length === 0) return ` It showed nothing; see ${logPath}.`;
  return ` Its last ${shown.length === 1 ? 'line' : `${shown.length} lines`} (all in ${logPath}):\n${shown.map((line) => `  ${line}`).join('\n')}`;
}

/** The prompt an agent gets in place of one too long for its command line: where to read it. */
function promptByFile(path: string, prompt: string): string {
  return `Your task is in the file ${path} (${Buffer.byteLength(prompt)} bytes: too long to give you on a command line). Read all of it first, then do what it says.`;
}
