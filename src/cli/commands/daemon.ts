import { Methods } from '../../../protocol/daemon.js';
import { OrchestraError, UsageError } from '../../core/errors.js';
import { daemonSocketPath } from '../../core/paths.js';
import { connectDaemon } from '../../daemon/client.js';
import { age } from '../output.js';

/** `orchestra daemon run|start|stop|status`. Nobody has to use these: every command starts the daemon it needs. */
export async function daemon(action: string): Promise<void> {
  switch (action) {
    case 'run': {
      const { runDaemon } = await import('../../daemon/main.js');
      await runDaemon();
      // Stopped: exit even if a client's half-sent message still holds a timer or a socket.
      process.exit(0);
    }
    case 'start': {
      const already = await connectDaemon({ start: false });
      const client = already ?? (await connectDaemon());
      console.log(`${already ? 'The daemon is already running' : 'Started the daemon'} (pid ${client.daemon.pid}, version ${client.daemon.version}).`);
      client.close();
      return;
    }
    case 'stop': {
      const client = await connectDaemon({ start: false });
      if (!client) {
        console.log('No daemon is running.');
        return;
      }
      await client.request(Methods.shutdown, {});
      client.close();
      await waitUntilGone(client.daemon.pid);
      console.log(`Stopped the daemon (pid ${client.daemon.pid}). Running agents are not affected.`);
      return;
    }
    case 'status': {
      const client = await connectDaemon({ start: false });
      if (!client) throw new OrchestraError(`No daemon is running (socket ${daemonSocketPath()}); any orchestra command starts one.`);
      const status = await client.request(Methods.status, {}).finally(() => client.close());
      console.log(`Daemon running: pid ${status.pid}, version ${status.version}, started ${age(status.started)}.`);
      console.log(`  socket    ${status.socket}`);
      console.log(`  log       ${status.log}`);
      console.log(`  projects  ${status.projects.length === 0 ? 'none yet' : status.projects.join('\n            ')}`);
      return;
    }
    default:
      throw new UsageError(`'${action}' is not a daemon action; use run, start, stop or status.`);
  }
}

/** Waits (up to 5 s) for the stopped daemon's process to exit, so that "stopped" is true when printed. */
async function waitUntilGone(pid: number): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new OrchestraError(`The daemon (pid ${pid}) is still shutting down after 5 s; 'kill ${pid}' ends it.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
