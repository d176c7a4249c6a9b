import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DAEMON_PROTOCOL_VERSION, Methods } from '../../protocol/daemon.js';
import { JsonRpcClient } from '../../protocol/json-rpc-client.js';
import { userDirs } from '../../src/core/paths.js';
import { holderKey } from '../../src/core/terminals.js';
import { VERSION } from '../../src/core/version.js';
import { Sandbox } from '../helpers/sandbox.js';

/** Every connection to the daemon's socket is bounded: bytes, framing, and time to say something (protocol/README.md "Limits"). */
describe("the daemon's limits", () => {
  const sandbox = new Sandbox();
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
    const hello = await client.request<{ pid: number }>(Methods.hello.method, { version: VERSION, protocol: DAEMON_PROTOCOL_VERSION });
    client.close();
    return hello.pid > 0;
  };

  before(async () => {
    repo = sandbox.repo();
    await sandbox.ok(['status'], { cwd: repo });
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

  it('answers a request with "id": null with an error instead of leaving it unanswered', async () => {
    const socket = await open();
    const body = JSON.stringify({ jsonrpc: '2.0', id: null, method: 'daemon.hello', params: { version: VERSION, protocol: DAEMON_PROTOCOL_VERSION } });
    const reply = new Promise<string>((resolve) => socket.once('data', (data) => resolve(data.toString())));
    socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    assert.match(await reply, /"id":null,"error":\{"code":-32600,"message":"Invalid request: a request needs an id/);
    socket.destroy();
  });

  it('closes connections that say nothing, to the daemon and to a holder, within the handshake time', async () => {
    mkdirSync(join(repo, '.orchestra'), { recursive: true });
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: demo\n');
    await sandbox.ok(['new', 'quiet', '-m', 'x'], { cwd: repo });
    await sandbox.ok(['start', '1'], { cwd: repo });
    const [holderMeta] = sandbox.holders();
    const silentToHolder = connect(join(userDirs(sandbox.env).runtime, 'holders', `${holderKey(holderMeta!.task.project, holderMeta!.task.id)}.sock`));
    const silentToDaemon = await open();
    const [toHolder, toDaemon] = await Promise.all([closed(silentToHolder), closed(silentToDaemon)]);
    assert.equal(toDaemon, '');
    assert.match(toHolder, /said no hello within 10 s/);
    assert.ok(await answers());
    await sandbox.ok(['stop', '1', '--force'], { cwd: repo });
  });
});
