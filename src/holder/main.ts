import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_HOLDER_REFRESH_MS, HOLDER_PROTOCOL_VERSION, LAST_SCREEN_END, LAST_SCREEN_START, type ExitStatus, type HolderMeta, type HolderSpec } from '../../protocol/holder.js';
import { writePrivateFile } from '../platform/private-files.js';
import { AgentPty } from './agent-pty.js';
import { HolderServer } from './holder-server.js';
import { ScreenActivity } from './screen-activity.js';
import { TerminalMirror } from './terminal-mirror.js';

/**
 * `node holder/main.js <spec file>`: one holder, for one task's agent. Started detached by
 * the daemon (own session, stdio to the task's log); it knows the protocol and its PTY,
 * nothing of the daemon, and outlives it.
 */
async function main(specPath: string): Promise<void> {
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as HolderSpec;
  // The spec holds the agent's environment (API keys): it is read once and removed.
  rmSync(specPath, { force: true });
  // The terminal that started the daemon may close; the holder stays.
  process.on('SIGHUP', () => {});

  const started = new Date().toISOString();
  const mirror = new TerminalMirror(spec.cols, spec.rows, spec.scrollback);
  const activity = new ScreenActivity(mirror, spec.activity);
  let agent: AgentPty | undefined;
  // The agent's start is recorded with its pid, so that nobody signals whoever has the pid once the agent is gone.
  const identity = () => ({ pid: process.pid, agent_pid: agent?.pid ?? 0, agent_start: agent?.identity.start, task: spec.task, agent: spec.agent, started });
  // Listen before the agent starts, so that a second holder for the task fails without running a second agent.
  // What a client makes the agent draw (echoed keys, a redraw at a new size) is not the agent's work.
  const server = new HolderServer(spec.socket, identity, mirror, {
    write: (data) => {
      activity.inputSent();
      agent?.write(data);
    },
    inputQueued: () => agent?.inputQueued ?? 0,
    resize: (cols, rows) => {
      activity.inputSent();
      agent?.resize(cols, rows);
    },
    repaint: () => {
      activity.inputSent();
      agent?.repaint();
    },
    stop: (force) => agent?.stop(force),
  });
  activity.onChange((verdict) => server.setActivity({ t: 'activity', ...verdict }));
  await server.listen();
  agent = new AgentPty(spec.command, { cwd: spec.cwd, env: spec.env, cols: spec.cols, rows: spec.rows });

  const writeMeta = (exit: ExitStatus | null) => {
    // Once a daemon has cleared this holder's files, a new holder of the task may own them.
    if (exit !== null && readMetaPid(spec.meta) !== process.pid) return;
    const meta: HolderMeta = { protocol: HOLDER_PROTOCOL_VERSION, key: spec.key, ...identity(), exit };
    writePrivateFile(spec.meta, `${JSON.stringify(meta)}\n`);
  };
  writeMeta(null);

  // /tmp cleaners (macOS's periodic job, systemd-tmpfiles) remove files that look unused:
  // the socket and the metadata are renewed, and made again if gone, so that a daemon
  // started later still finds this agent.
  const refresh = setInterval(() => {
    if (!agent?.alive) return;
    try {
      mkdirSync(dirname(spec.meta), { recursive: true, mode: 0o700 });
      if (existsSync(spec.meta)) utimesSync(spec.meta, new Date(), new Date());
      else writeMeta(null);
      void server.renewSocket().catch((error: unknown) => process.stderr.write(`orchestra holder: could not renew ${spec.socket}: ${(error as Error).message}\n`));
    } catch (error) {
      process.stderr.write(`orchestra holder: could not renew ${spec.meta}: ${(error as Error).message}\n`);
    }
  }, spec.refresh_ms ?? DEFAULT_HOLDER_REFRESH_MS);
  refresh.unref();

  agent.onData((data) => {
    mirror.write(data);
    server.output(data);
    activity.outputArrived();
  });
  // Without a person attached, the headless terminal answers the app's queries (cursor
  // position, device attributes); with one, that person's terminal does.
  mirror.onReply((reply) => {
    if (!server.hasInteractiveViewer) agent?.write(reply);
  });
  // Someone ending the holder ends the agent the polite way, and its exit is recorded as usual.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void agent?.stop(false));
  agent.onExit((status) => {
    // Every byte is in the mirror and sent before the exit is reported.
    activity.dispose();
    clearInterval(refresh);
    mirror.afterWrites(async () => {
      // Recorded first: a daemon that is down now learns the exit status from this file.
      writeMeta(status);
      // The holder's output is the task's log: keep the agent's last words there, since the
      // screen goes with the holder (an agent that dies at once usually says why).
      process.stdout.write(`${LAST_SCREEN_START}\n${await mirror.text(0, false)}\n${LAST_SCREEN_END}\n`);
      await server.exit(status);
      process.exit(0);
    });
  });
}

function readMetaPid(path: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as HolderMeta).pid;
  } catch {
    return undefined;
  }
}

main(process.argv[2]!).catch((error: unknown) => {
  process.stderr.write(`orchestra holder: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
