import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMessageConnection, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import { DAEMON_PROTOCOL_VERSION, Methods } from '../../protocol/daemon.js';
import { projectKey } from '../../src/core/worktree.js';
import { alive, Sandbox, spawnDaemon, waitFor } from '../helpers/sandbox.js';

describe('the daemon', () => {
  const sandbox = new Sandbox();
  let repo: string;
  const socket = () => join(sandbox.home, 'run', 'daemon.sock');

  before(() => {
    repo = sandbox.repo();
  });
  after(() => sandbox.cleanup());

  it('is started by the first command that needs it, with a private socket', async () => {
    assert.equal((await sandbox.run(['daemon', 'status'])).code, 1);
    await sandbox.ok(['status'], { cwd: repo });
    const pid = await sandbox.daemonPid();
    assert.ok(alive(pid));
    assert.equal(statSync(join(sandbox.home, 'run')).mode & 0o777, 0o700);
    assert.equal(statSync(socket()).mode & 0o777, 0o600);
    assert.equal(await sandbox.daemonPid(), pid, 'later commands find the same daemon');
  });

  it('refuses to run twice', async () => {
    const second = spawnDaemon(sandbox);
    let stderr = '';
    second.stderr!.on('data', (d) => (stderr += d));
    const [code] = await once(second, 'exit');
    assert.equal(code, 1);
    assert.equal(stderr, `orchestra: A daemon is already running on ${socket()}; 'orchestra daemon stop' stops it.\n`);
    await sandbox.ok(['status'], { cwd: repo });
  });

  it('is replaced after kill -9 by the next command, which works', async () => {
    const pid = await sandbox.daemonPid();
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), 'the daemon to die');
    assert.ok(existsSync(socket()), 'the killed daemon left its socket behind');
    const out = await sandbox.ok(['new', 'after-kill', '-m', 'Still works'], { cwd: repo });
    assert.match(out, /Created 1:after-kill/);
    const newPid = await sandbox.daemonPid();
    assert.notEqual(newPid, pid);
  });

  it('remembers the projects it served across restarts', async () => {
    const status = await sandbox.ok(['daemon', 'status']);
    assert.match(status, new RegExp(`projects +${repo}`));
    const pid = await sandbox.daemonPid();
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), 'the daemon to die');
    const all = JSON.parse(await sandbox.ok(['status', '--all', '--json']));
    assert.deepEqual(all.map((t: { slug: string }) => t.slug), ['after-kill']);
  });

  it('drops a client that sends garbage and keeps serving the others', async () => {
    const rawSocket = connect(socket());
    await once(rawSocket, 'connect');
    rawSocket.on('error', () => {}); // The daemon may reset the connection: that is the point.
    const closed = new Promise((resolve) => rawSocket.on('close', resolve));
    rawSocket.write('this is not JSON-RPC\r\n\r\n{{{{');
    rawSocket.write(Buffer.from([0, 1, 2, 255, 254]));
    await closed;
    const badJson = connect(socket());
    await once(badJson, 'connect');
    badJson.on('error', () => {});
    const badClosed = new Promise((resolve) => badJson.on('close', resolve));
    badJson.write('Content-Length: 5\r\n\r\n{{{{{');
    await badClosed;
    assert.match(await sandbox.ok(['status'], { cwd: repo }), /after-kill/);
  });

  it('answers malformed parameters with an error, not a crash', async () => {
    const s = connect(socket());
    await once(s, 'connect');
    const connection = createMessageConnection(new SocketMessageReader(s), new SocketMessageWriter(s));
    connection.listen();
    await assert.rejects(connection.sendRequest('task.get', { cwd: 42 }), /Invalid parameters for task\.get \(cwd\)/);
    await assert.rejects(connection.sendRequest('no.such.method', {}), /Unhandled method no\.such\.method/);
    const hello = await connection.sendRequest(Methods.hello.method, { version: 'x', protocol: DAEMON_PROTOCOL_VERSION });
    assert.equal(typeof (hello as { pid: number }).pid, 'number');
    connection.dispose();
    s.destroy();
  });

  it('daemon stop stops it, and stop without a daemon says so', async () => {
    const pid = await sandbox.daemonPid();
    assert.match(await sandbox.ok(['daemon', 'stop']), new RegExp(`Stopped the daemon \\(pid ${pid}\\)`));
    await waitFor(() => !alive(pid), 'the daemon to exit');
    assert.ok(!existsSync(socket()), 'the socket is removed');
    assert.equal(await sandbox.ok(['daemon', 'stop']), 'No daemon is running.\n');
    assert.match(await sandbox.ok(['daemon', 'start']), /^Started the daemon \(pid \d+, version /);
    assert.match(await sandbox.ok(['daemon', 'start']), /^The daemon is already running/);
    const bad = await sandbox.run(['daemon', 'restart']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /'restart' is not a daemon action; use run, start, stop or status\./);
  });

  it('a daemon of another version is replaced, and the user is told', async () => {
    await sandbox.ok(['daemon', 'stop']);
    // A stand-in for an older daemon: it answers hello with another version and obeys shutdown.
    const server = createServer((s) => {
      const connection = createMessageConnection(new SocketMessageReader(s), new SocketMessageWriter(s));
      connection.onRequest(Methods.hello.method, () => ({ version: '0.0.1-old', protocol: DAEMON_PROTOCOL_VERSION, pid: 4242 }));
      connection.onRequest(Methods.shutdown.method, () => {
        server.close();
        return null;
      });
      s.on('close', () => connection.dispose());
      connection.listen();
    });
    server.listen(socket());
    await once(server, 'listening');
    const result = await sandbox.run(['status'], { cwd: repo });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^orchestra: replaced the running daemon \(version 0\.0\.1-old, pid 4242\) with version \S+ \(pid \d+\)\.\n$/);
    assert.match(result.stdout, /after-kill/);
    assert.match(await sandbox.ok(['daemon', 'status']), /Daemon running: pid \d+, version (?!0\.0\.1-old)/);
  });

  it('deletes at start-up the task logs of a project gone for a week, never those of one that exists', async () => {
    await sandbox.ok(['daemon', 'stop']);
    const weekAgo = new Date(Date.now() - 7 * 24 * 60 * 60 * 1000 - 60_000).toISOString();
    /** A project's directory of task logs as Orchestra makes it, gone since `since` if given. */
    const logsOf = (root: string, since?: string) => {
      const dir = join(sandbox.home, 'state', 'tasks', projectKey(root));
      mkdirSync(join(dir, '1-task'), { recursive: true });
      writeFileSync(join(dir, '1-task', 'task.log'), 'started\n');
      writeFileSync(join(dir, 'project'), `${root}\n`);
      if (since) writeFileSync(join(dir, 'gone-since'), `${since}\n`);
      return dir;
    };
    const deleted = logsOf(join(sandbox.root, 'deleted-project'), weekAgo);
    const justGone = logsOf(join(sandbox.root, 'just-deleted'));
    const existing = logsOf(repo, weekAgo);
    await sandbox.ok(['daemon', 'start']);
    assert.ok(!existsSync(deleted), 'gone for a week: deleted');
    assert.ok(existsSync(join(justGone, '1-task', 'task.log')), 'gone since now: kept');
    assert.ok(existsSync(join(justGone, 'gone-since')));
    assert.ok(existsSync(join(existing, '1-task', 'task.log')), 'a project that exists: kept');
    assert.ok(!existsSync(join(existing, 'gone-since')), 'and not counted as gone');
    assert.match(readFileSync(join(sandbox.home, 'state', 'daemon.log'), 'utf8'), /info deleted the task logs of \S+\/deleted-project, gone for a week/);
  });

  it('logs to the state directory', () => {
    const log = readFileSync(join(sandbox.home, 'state', 'daemon.log'), 'utf8');
    assert.match(log, /info daemon \S+ \(pid \d+\) listening on /);
    assert.match(log, /warn dropping a client connection/);
  });
});

describe('the runtime directory and errors', () => {
  const sandbox = new Sandbox();
  after(() => sandbox.cleanup());

  it('refuses a runtime directory that belongs to another user', { skip: process.getuid?.() !== 0 && 'needs root to chown' }, async () => {
    const { chownSync, mkdirSync } = await import('node:fs');
    const runtime = join(sandbox.root, 'xdg', 'orchestra');
    mkdirSync(runtime, { recursive: true, mode: 0o700 });
    chownSync(runtime, 65534, 65534);
    const env = { ORCHESTRA_HOME: '', XDG_RUNTIME_DIR: join(sandbox.root, 'xdg'), XDG_STATE_HOME: join(sandbox.root, 'state') };
    const result = await sandbox.run(['daemon', 'run'], { env });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `orchestra: The runtime directory ${runtime} belongs to another user (uid 65534), so Orchestra will not use it: whoever controls it could pose as the daemon. Remove it, or set XDG_RUNTIME_DIR to a directory of your own.\n`,
    );
  });

  it('refuses a socket path too long for a unix socket, in one sentence', async () => {
    // A deep ORCHESTRA_HOME moves the sockets to a short directory (test/cli/deep-home); a socket named outright cannot move.
    const result = await sandbox.run(['daemon', 'run'], { env: { ORCHESTRA_SOCKET: join(sandbox.root, 'x'.repeat(100), 'daemon.sock') } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^orchestra: The socket path \S+ is \d+ bytes, longer than unix sockets allow; set ORCHESTRA_HOME or XDG_RUNTIME_DIR to a shorter directory\.\n$/);
  });

  it('shows a stack trace only with ORCHESTRA_DEBUG=1', async () => {
    const repo = sandbox.repo();
    const plain = await sandbox.run(['show', '99'], { cwd: repo });
    assert.equal(plain.stderr.split('\n').length, 2);
    const debug = await sandbox.run(['show', '99'], { cwd: repo, env: { ORCHESTRA_DEBUG: '1' } });
    assert.match(debug.stderr, /^orchestra: There is no task '99'.*\nOrchestraError: .*\n\s+at /);
  });
});
