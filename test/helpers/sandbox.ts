import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_PROTOCOL_VERSION, Methods, type HelloResult } from '../../protocol/daemon.js';
import { JsonRpcClient } from '../../protocol/json-rpc-client.js';
import { daemonSocketPath, userDirs } from '../../src/core/paths.js';
import { VERSION } from '../../src/core/version.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

/** The built CLI entry point. */
export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * A throwaway world for one test file: an isolated ORCHESTRA_HOME (so a real daemon runs
 * apart from the user's) and real git repositories in a temporary directory.
 */
export class Sandbox {
  readonly root: string;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;

  /** `home`: ORCHESTRA_HOME below the sandbox's root (default `h`). */
  constructor(options: { home?: string } = {}) {
    // realpath: on some systems the temp directory is behind a symlink, and git reports real paths.
    this.root = realpathSync(mkdtempSync(join(scratchDir(), 'orch-')));
    this.home = join(this.root, options.home ?? 'h');
    // The demo agent at test pace.
    const env: NodeJS.ProcessEnv = { ...process.env, ORCHESTRA_HOME: this.home, NO_COLOR: '1', ORCHESTRA_DEMO_STEP_MS: '5' };
    delete env.ORCHESTRA_SOCKET;
    delete env.ORCHESTRA_DEBUG;
    delete env.VISUAL;
    delete env.EDITOR;
    this.env = env;
  }

  /** A git repository with one commit on `main`. */
  repo(name = 'repo'): string {
    const dir = join(this.root, name);
    execFileSync('git', ['init', '-q', '-b', 'main', dir]);
    git(dir, 'config', 'user.email', 'test@example.com');
    git(dir, 'config', 'user.name', 'Test');
    writeFileSync(join(dir, 'README.md'), `# ${name}\n`);
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'initial');
    return dir;
  }

  /** Runs `orchestra args…` to completion. stdin is closed unless `input` is given. */
  run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [CLI, ...args],
        { cwd: options.cwd ?? this.root, env: { ...this.env, ...options.env }, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
        },
      );
      child.stdin!.end(options.input ?? '');
    });
  }

  /** Like run, but fails the test unless the command succeeds; returns stdout. */
  async ok(args: string[], options: RunOptions = {}): Promise<string> {
    const result = await this.run(args, options);
    if (result.code !== 0) throw new Error(`orchestra ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  }

  /** The pid of the running daemon, read through `daemon status`. */
  async daemonPid(): Promise<number> {
    const out = await this.ok(['daemon', 'status']);
    return Number(/pid (\d+)/.exec(out)![1]);
  }

  /**
   * A JSON-RPC client of the daemon, past its hello. Rejects when nothing answers on the
   * socket, unless `start`: then starts a daemon first, as every CLI command does.
   */
  async rpc(options: { start?: boolean } = {}): Promise<{ client: JsonRpcClient; hello: HelloResult }> {
    const socket = connect(daemonSocketPath(this.env));
    try {
      await new Promise((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
    } catch (error) {
      if (!options.start) throw error;
      await this.ok(['daemon', 'start']);
      return this.rpc();
    }
    const client = new JsonRpcClient(socket);
    try {
      return { client, hello: await client.request<HelloResult>(Methods.hello.method, { version: VERSION, protocol: DAEMON_PROTOCOL_VERSION }) };
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** The metadata of every holder (running agent) of this sandbox. */
  holders(): Array<{ pid: number; agent_pid: number; task: { id: number; project: string } }> {
    const dir = join(userDirs(this.env).runtime, 'holders');
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((name) => name.endsWith('.json') && !name.endsWith('.spec.json'));
    } catch {
      return [];
    }
    return names.map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')));
  }

  /** Stops the daemon, the holders and their agents (if any) and deletes everything. */
  async cleanup(): Promise<void> {
    // Asked on the socket, not with a command: a test's every cleanup would pay a CLI start-up.
    const pid = await this.rpc().then(
      ({ client, hello }) => (client.close(), hello.pid),
      () => undefined,
    );
    if (pid) kill(pid);
    for (const holder of this.holders()) {
      kill(-holder.agent_pid);
      kill(holder.pid);
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `condition` holds; fails naming `what` after `ms`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

/** Starts `orchestra daemon run` in the foreground as a child of the test. */
export function spawnDaemon(sandbox: Sandbox) {
  return spawn(process.execPath, [CLI, 'daemon', 'run'], { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
}
