import assert from 'node:assert/strict';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DAEMON_PROTOCOL_VERSION, Methods } from '../../protocol/daemon.js';
import { JsonRpcClient } from '../../protocol/json-rpc-client.js';
import { frame } from '../../protocol/json-rpc-framing.js';
import { userDirs } from '../../src/core/paths.js';
import { holderKey } from '../../src/core/terminals.js';
import { VERSION } from '../../src/core/version.js';
import { MAX_PENDING_REQUEST_BYTES, MAX_REQUEST_BYTES } from '../../src/daemon/limited-reader.js';
import { MAX_CONNECTIONS } from '../../src/daemon/rpc-server.js';
import { processMemory } from '../../src/platform/process-memory.js';
import { CLI, Sandbox, waitFor } from '../helpers/sandbox.js';

const hello = { version: VERSION, protocol: DAEMON_PROTOCOL_VERSION };

/** Every connection to the daemon's socket is bounded: bytes, framing, and time to say something (protocol/README.md "Limits"). */
describe("the daemon's limits", () => {
  const sandbox = new Sandbox();
  // Connections idle this long are closed (10 min in use).
  sandbox.env.ORCHESTRA_DAEMON_IDLE_MS = '1500';
  let repo: string;
  const socketPath = () => join(userDirs(sandbox.env).runtime, 'daemon.sock');
  const open = async (): Promise<Socket> => {
    const socket = connect(socketPath());
    await once(socket, 'connect');
    return socket;
  };
  /** Resolves with the bytes the daemon sent once it closes the connection. */
  const closed = (socket: Socket) =>
    new Promise<string>((resolve) => {
      let received = '';
      socket.on('data', (data) => (received += data));
      socket.on('error', () => {});
      socket.on('close', () => resolve(received));
    });
  /** The daemon still answers a well-behaved client. */
  const answers = async () => {
    const client = new JsonRpcClient(await open());
    const reply = await client.request<{ pid: number }>(Methods.hello.method, hello);
    client.close();
    return reply.pid > 0;
  };
  const log = () => readFileSync(join(sandbox.home, 'state', 'daemon.log'), 'utf8');
  /** Requests for task `ref` with these ids, framed, in one buffer. */
  const getTasks = (ref: string, ids: number[]) => Buffer.concat(ids.map((id) => frame({ jsonrpc: '2.0', id, method: Methods.getTask.method, params: { cwd: repo, ref } })));

  before(async () => {
    repo = sandbox.repo();
    mkdirSync(join(repo, '.orchestra'), { recursive: true });
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: demo\n');
    await sandbox.ok(['status'], { cwd: repo });
    const client = new JsonRpcClient(await open());
    // Every reply about this task is 2 MiB (its description, and its title, the description's first line).
    await client.request(Methods.createTask.method, { cwd: repo, slug: 'big', description: 'x'.repeat(1024 * 1024) });
    await client.request(Methods.createTask.method, { cwd: repo, slug: 'small', description: 'Small' });
    client.close();
  });
  after(() => sandbox.cleanup());

  it('closes a connection whose header does not end, without reading on', async () => {
    const socket = await open();
    const done = closed(socket);
    socket.write('X'.repeat(64 * 1024));
    await done;
    assert.ok(await answers());
  });

  it('closes a connection that announces a message past the limit, before it comes', async () => {
    const socket = await open();
    const done = closed(socket);
    socket.write('Content-Length: 1073741824\r\n\r\n{"jsonrpc":"2.0"');
    await done;
    assert.ok(await answers());
  });

  it('holds a bounded amount of unfinished requests for all clients together, closing the one past it', async () => {
    // Each client sends three quarters of a request as large as allowed, and no more.
    const part = Math.floor(MAX_REQUEST_BYTES * 0.75);
    const clients = Math.ceil(MAX_PENDING_REQUEST_BYTES / part) + 2;
    const sockets = await Promise.all(Array.from({ length: clients }, () => open()));
    const ends = sockets.map((socket) => closed(socket).then(() => socket));
    for (const socket of sockets) socket.write(`Content-Length: ${MAX_REQUEST_BYTES}\r\n\r\n${'x'.repeat(part)}`);
    const first = await Promise.race(ends);
    assert.ok(sockets.includes(first), 'one client was closed');
    assert.match(log(), /dropping a client connection: the client sent part of a request while the daemon holds 16 MiB of unfinished requests already/);
    assert.ok(await answers(), 'the others are served meanwhile');
    for (const socket of sockets) socket.destroy();
  });

  it('answers a request with "id": null with an error instead of leaving it unanswered', async () => {
    const socket = await open();
    const body = JSON.stringify({ jsonrpc: '2.0', id: null, method: 'daemon.hello', params: hello });
    const reply = new Promise<string>((resolve) => socket.once('data', (data) => resolve(data.toString())));
    socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    assert.match(await reply, /"id":null,"error":\{"code":-32600,"message":"Invalid request: a request needs an id/);
    socket.destroy();
  });

  it('closes a connection that sends a request with the id of one not answered yet', async () => {
    const socket = await open();
    const done = closed(socket);
    socket.write(getTasks('small', [7, 7]));
    assert.equal(await done, '');
    assert.match(log(), /dropping a client connection: the client sent a second request with id 7 before the first was answered/);
  });

  it('closes connections that say nothing, to the daemon and to a holder, within the handshake time', async () => {
    await sandbox.ok(['new', 'quiet', '-m', 'x'], { cwd: repo });
    await sandbox.ok(['start', 'quiet'], { cwd: repo });
    const [holderMeta] = sandbox.holders();
    const silentToHolder = connect(join(userDirs(sandbox.env).runtime, 'holders', `${holderKey(holderMeta!.task.project, holderMeta!.task.id)}.sock`));
    const silentToDaemon = await open();
    const [toHolder, toDaemon] = await Promise.all([closed(silentToHolder), closed(silentToDaemon)]);
    assert.equal(toDaemon, '');
    assert.match(toHolder, /said no hello within 10 s/);
    assert.ok(await answers());
    await sandbox.ok(['stop', 'quiet', '--force'], { cwd: repo });
  });

  it('drops a client that leaves more than 4 MiB of replies unread, holding no more for it, and serves the others meanwhile', async () => {
    const stuck = await open();
    stuck.on('error', () => {});
    // 100 replies of 2 MiB; the client reads none of them.
    stuck.write(getTasks('big', Array.from({ length: 100 }, (_, i) => i + 1)));
    await waitFor(() => /dropping a client connection: the client left \d+ bytes of replies and notifications unread/.test(log()), 'the daemon to drop the client');
    assert.ok(await answers());
    const { rss } = processMemory(await sandbox.daemonPid());
    assert.ok(rss < 200, `the daemon holds ${rss} MiB`);
    await closed(stuck);
  });

  it('reads no more of a client whose replies wait unread, and closes it once it is idle', async () => {
    const stuck = await open();
    stuck.on('error', () => {});
    const gone = new Promise((resolve) => stuck.once('close', resolve));
    // Requests of 64 KiB whose small replies the client never reads: 256 MiB if the daemon took them all.
    const padding = 'p'.repeat(64 * 1024);
    let sent = 0;
    let connected = true;
    void gone.then(() => (connected = false));
    const pid = await sandbox.daemonPid();
    let largest = 0;
    while (connected && sent < 4096) {
      sent++;
      if (!stuck.write(frame({ jsonrpc: '2.0', id: sent, method: Methods.getTask.method, params: { cwd: repo, ref: 'small', padding } }))) {
        // The daemon takes no more once its replies back up, until it closes the idle connection.
        await new Promise<void>((resolve) => {
          const done = () => {
            stuck.off('drain', done).off('close', done);
            resolve();
          };
          stuck.on('drain', done).on('close', done);
        });
        largest = Math.max(largest, processMemory(pid).rss);
      }
    }
    await gone;
    assert.ok(sent < 4096, 'the daemon read every request');
    assert.ok(largest < 200, `the daemon held ${largest} MiB`);
    assert.match(log(), /dropping a client connection that was idle for 1.5 s/);
    assert.ok(await answers());
  });

  it('closes a connection idle for the idle time, and keeps one with a request in flight or a subscription', async () => {
    const quiet = new JsonRpcClient(await open());
    await quiet.request(Methods.hello.method, hello);
    const quietGone = new Promise<string>((resolve) => quiet.onClose(resolve));
    const subscriber = new JsonRpcClient(await open());
    await subscriber.request(Methods.subscribeTasks.method, { cwd: repo });
    // A start whose setup script runs past the idle time: its connection is busy all along.
    writeFileSync(join(repo, '.orchestra', 'setup.sh'), '#!/bin/sh\nsleep 3\n');
    chmodSync(join(repo, '.orchestra', 'setup.sh'), 0o755);
    try {
      await sandbox.ok(['new', 'slow-setup', '-m', 'x'], { cwd: repo });
      await sandbox.ok(['start', 'slow-setup'], { cwd: repo });
      assert.equal(await quietGone, 'the connection closed');
      assert.match(log(), /dropping a client connection that was idle for 1.5 s/);
      const list = await subscriber.request<{ tasks: Array<{ slug: string }> }>(Methods.listTasks.method, { cwd: repo });
      assert.ok(list.tasks.some((task) => task.slug === 'slow-setup'));
    } finally {
      subscriber.close();
      rmSync(join(repo, '.orchestra', 'setup.sh'));
      await sandbox.run(['stop', 'slow-setup', '--force'], { cwd: repo });
    }
  });

  it("lets a person take longer in their editor than the idle time ('edit')", async () => {
    const edited = await sandbox.run(['edit', 'small'], { cwd: repo, env: { EDITOR: 'sleep 3 && touch' } });
    assert.equal(edited.stderr, '');
    assert.equal(edited.code, 0);
  });

  it(`turns away a client past ${MAX_CONNECTIONS} connections with a sentence, and starts no other daemon`, async () => {
    const held: JsonRpcClient[] = [];
    const empty = sandbox.repo('empty');
    try {
      // Subscribers are busy: none of them is closed for being idle.
      for (let i = 0; i < MAX_CONNECTIONS; i++) {
        const client = new JsonRpcClient(await open());
        held.push(client);
        await client.request(Methods.subscribeTasks.method, { cwd: empty });
      }
      const refused = await sandbox.run(['status'], { cwd: repo });
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr, `orchestra: The daemon serves ${MAX_CONNECTIONS} connections already, as many as it takes; close some of its clients (dashboards, 'status --watch') and run the command again.\n`);
      assert.doesNotMatch(log(), /already running/, 'no second daemon was started');
    } finally {
      for (const client of held) client.close();
    }
    await sandbox.ok(['status'], { cwd: repo });
  });
});

describe('a daemon out of file descriptors', () => {
  const sandbox = new Sandbox();
  after(() => sandbox.cleanup());

  it('makes commands say so, not that the daemon did not start', async () => {
    const repo = sandbox.repo();
    // The daemon is started by this command, and has its few descriptors.
    await new Promise<void>((resolve, reject) =>
      execFile('sh', ['-c', 'ulimit -n 128 && exec "$@"', 'sh', process.execPath, CLI, 'status'], { cwd: repo, env: sandbox.env }, (error) => (error ? reject(error) : resolve())),
    );
    const socketPath = join(userDirs(sandbox.env).runtime, 'daemon.sock');
    const held: JsonRpcClient[] = [];
    try {
      // Connections until the system closes them for the daemon, unanswered.
      for (let i = 0; i < 128; i++) {
        const client = new JsonRpcClient(connect(socketPath));
        held.push(client);
        if (!(await client.request(Methods.hello.method, hello).then(() => true, () => false))) break;
      }
      const result = await sandbox.run(['status'], { cwd: repo });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        `orchestra: The daemon on ${socketPath} accepts connections and closes them unanswered, as a daemon out of file descriptors does; end its process ('orchestra daemon run'; agents keep running) and run the command again.\n`,
      );
    } finally {
      for (const client of held) client.close();
    }
    await sandbox.ok(['status'], { cwd: repo });
  });
});
