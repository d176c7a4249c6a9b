import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Sandbox } from '../helpers/sandbox.js';

const asRoot = process.getuid?.() === 0;
/** Another local user: Debian's and macOS's 'nobody'. */
const STRANGER = 65534;

/**
 * The runtime directory is where clients find the daemon: another user who makes it first,
 * or a link, would receive every request (with the user's environment) or have the daemon
 * change modes elsewhere. Both sides check it before anything is sent or served.
 */
describe('a runtime directory that is not the user\'s alone', () => {
  const sandbox = new Sandbox();
  const servers: Server[] = [];
  after(async () => {
    for (const server of servers) server.close();
    await sandbox.cleanup();
  });
  let count = 0;
  const xdg = () => join(sandbox.root, `xdg-${++count}`);
  const env = (runtimeParent: string) => ({ ORCHESTRA_HOME: '', XDG_RUNTIME_DIR: runtimeParent, XDG_STATE_HOME: join(sandbox.root, 'state'), XDG_DATA_HOME: join(sandbox.root, 'data') });
  /** A daemon impostor listening at `path`: counts who connects and what they send. */
  const impostor = async (path: string) => {
    const seen = { connections: 0, bytes: 0 };
    const server = createServer((socket) => {
      seen.connections++;
      socket.on('data', (data) => (seen.bytes += data.length));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return seen;
  };
  /** A runtime directory with an impostor's socket in it, the socket given to another user. */
  const plantedSocket = async () => {
    const parent = xdg();
    const runtime = join(parent, 'orchestra');
    mkdirSync(runtime, { recursive: true, mode: 0o700 });
    const seen = await impostor(join(runtime, 'daemon.sock'));
    chownSync(join(runtime, 'daemon.sock'), STRANGER, STRANGER);
    return { parent, runtime, seen };
  };

  it('made by another user, with a socket in it: refused in one sentence, nothing sent', { skip: !asRoot && 'needs root to give files to another user' }, async () => {
    const { parent, runtime, seen } = await plantedSocket();
    chownSync(runtime, STRANGER, STRANGER);
    const repo = sandbox.repo('r1');
    const result = await sandbox.run(['new', 'x', '-m', 'with my environment'], { cwd: repo, env: { ...env(parent), ANTHROPIC_API_KEY: 'sk-secret' } });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `orchestra: The runtime directory ${runtime} belongs to another user (uid ${STRANGER}), so Orchestra will not use it: whoever controls it could pose as the daemon. Remove it, or set XDG_RUNTIME_DIR to a directory of your own.\n`);
    assert.deepEqual(seen, { connections: 0, bytes: 0 });
  });

  it("a socket of another user in the user's own directory: refused, nothing sent", { skip: !asRoot && 'needs root to give files to another user' }, async () => {
    const { parent, seen } = await plantedSocket();
    const result = await sandbox.run(['status'], { cwd: sandbox.repo('r2'), env: env(parent) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^orchestra: The socket \S+daemon\.sock belongs to another user \(uid 65534\), so Orchestra will not use it/);
    assert.deepEqual(seen, { connections: 0, bytes: 0 });
  });

  it('a link to another directory: refused, and that directory is left as it was', async () => {
    const parent = xdg();
    mkdirSync(parent);
    const victim = join(sandbox.root, 'victim-home');
    mkdirSync(victim, { mode: 0o755 });
    chmodSync(victim, 0o755);
    symlinkSync(victim, join(parent, 'orchestra'));
    for (const args of [['status'], ['daemon', 'run']]) {
      const result = await sandbox.run(args, { cwd: sandbox.repo(`r3-${args.length}`), env: env(parent) });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^orchestra: The runtime directory \S+\/orchestra is a symbolic link, so Orchestra will not use it/);
    }
    assert.equal(statSync(victim).mode & 0o777, 0o755, 'not made 0700');
    assert.deepEqual(readdirSync(victim), [], 'nothing listens there');
  });

  it('one that others may enter: refused until it is 0700', async () => {
    const parent = xdg();
    const runtime = join(parent, 'orchestra');
    mkdirSync(runtime, { recursive: true });
    chmodSync(runtime, 0o777);
    const repo = sandbox.repo('r4');
    const result = await sandbox.run(['status'], { cwd: repo, env: env(parent) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /can be entered by other users \(mode 777, not 700\)/);
    chmodSync(runtime, 0o700);
    await sandbox.ok(['status'], { cwd: repo, env: env(parent) });
    await sandbox.ok(['daemon', 'stop'], { env: env(parent) });
  });
});
