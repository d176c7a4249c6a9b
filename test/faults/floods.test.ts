import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { Methods, type TaskDetail, type TerminalInfo } from '../../protocol/daemon.js';
import { HolderConnection } from '../../protocol/holder-client.js';
import { encodeFrame, HOLDER_PROTOCOL_VERSION } from '../../protocol/holder.js';
import { frame, JsonRpcFramer } from '../../protocol/json-rpc-framing.js';
import { daemonSocketPath } from '../../src/core/paths.js';
import { MAX_REQUEST_BYTES } from '../../src/daemon/limited-reader.js';
import { FaultWorld, PeakMemory, Tally } from './harness.js';

const DAEMON_MAX_MIB = 200;
const HOLDER_MAX_MIB = 150;

/**
 * An agent that prints 10 MB as fast as the terminal takes it once `trigger` exists, then
 * 'FLOOD DONE', and never reads what is typed to it.
 */
const FLOODER = `const go = () => { const line = 'x'.repeat(99) + '\\n'; let left = 10 * 1024 * 1024; const pump = () => { while (left > 0) { left -= line.length * 100; if (!process.stdout.write(line.repeat(100))) return process.stdout.once('drain', pump); } process.stdout.write('FLOOD DONE\\n'); }; pump(); };
const wait = () => (require('fs').existsSync(process.argv[1]) ? go() : setTimeout(wait, 20));
console.log('waiting'); wait(); setInterval(() => {}, 1 << 30);`;

/** Floods on both sockets: the daemon's (many clients, garbage, big requests, clients that do not read) and a holder's. */
test('floods', async (t) => {
  const tally = new Tally();
  const trigger = (repo: string) => join(dirname(repo), 'flood.go');
  const world = new FaultWorld(tally, (repo) => `  flood: { command: ${JSON.stringify([process.execPath, '-e', FLOODER, trigger(repo)])} }\n`);
  const daemonPid = await world.startDaemon();

  try {
    /** A raw connection to the daemon's socket. */
    const daemonSocket = async (): Promise<Socket> => {
      const socket = connect(daemonSocketPath(world.sandbox.env));
      socket.on('error', () => {}); // The daemon may reset an abusive connection: that is the point.
      await once(socket, 'connect');
      return socket;
    };
    /** Resolves at the first of `events` on `socket`, an error being no reason to fail (the peer may reset an abusive client). */
    const first = (socket: Socket, ...events: string[]) => new Promise<void>((resolve) => events.forEach((event) => socket.once(event, () => resolve())));
    /** Resolves when `socket` closes; destroys it if it has not within `ms`. */
    const closed = (socket: Socket, ms: number) => Promise.race([first(socket, 'close'), delay(ms, undefined, { ref: false })]).then(() => socket.destroy());
    const random = (seed: number) => () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;

    /** Runs a flood on the daemon's socket, then checks that it serves on, unchanged, within its memory bound. */
    const daemonFlood = async (flood: () => Promise<unknown>) => {
      const memory = new PeakMemory([daemonPid]);
      try {
        await flood();
      } finally {
        memory.stop();
      }
      tally.injected++;
      const peak = memory.peak(daemonPid);
      tally.peakDaemonMiB = Math.max(tally.peakDaemonMiB, peak);
      await world.holds({ daemonPid });
      assert.ok(peak <= DAEMON_MAX_MIB, `the daemon's peak RSS was ${peak.toFixed(0)} MiB`);
    };

    await t.test('the daemon serves on through 300 clients at once, within 200 MiB', async () => {
      for (let i = 0; i < 3; i++) await world.draft(`listed-${i}`);
      await daemonFlood(async () => {
        for (let wave = 0; wave < 3; wave++) {
          await Promise.all(
            Array.from({ length: 100 }, async () => {
              const { client } = await world.sandbox.rpc();
              await client.request(Methods.listTasks.method, { cwd: world.repo });
              client.close();
            }),
          );
        }
      });
    });

    await t.test('the daemon serves on through 100 clients that send garbage, within 200 MiB', () =>
      daemonFlood(() =>
        Promise.all(
          Array.from({ length: 100 }, async (_, i) => {
            const socket = await daemonSocket();
            const next = random(i + 1);
            socket.end(Buffer.from(Array.from({ length: 4096 }, next)));
            await closed(socket, 2000);
          }),
        ),
      ));

    await t.test('the daemon serves on through 10 clients that ask for 10 MB each and read nothing for a second, within 200 MiB', async () => {
      const long = await world.request<TaskDetail>(Methods.createTask, { slug: 'long', description: `Long.\n\n${`${'word '.repeat(15)}\n`.repeat(3500)}` });
      const asks = 40;
      await daemonFlood(() =>
        Promise.all(
          Array.from({ length: 10 }, async () => {
            const socket = await daemonSocket();
            socket.pause();
            socket.write(Buffer.concat(Array.from({ length: asks }, (_, id) => frame({ jsonrpc: '2.0', id: id + 1, method: Methods.getTask.method, params: { cwd: world.repo, ref: String(long.id) } }))));
            await delay(1000);
            const framer = new JsonRpcFramer(64 * 2 ** 20);
            let answers = 0;
            // Every answer, or the daemon hanging up on a client that left too many unread: either is bounded.
            const all = new Promise<void>((resolve) => {
              socket.on('data', (chunk: Buffer) => (answers += framer.push(chunk).length) >= asks && resolve());
              socket.on('close', resolve);
            });
            socket.resume();
            await all;
            socket.destroy();
          }),
        ),
      );
    });

    await t.test('the daemon serves on through 4 requests of nearly its limit each at once, within 200 MiB', () =>
      daemonFlood(() =>
        Promise.all(
          Array.from({ length: 4 }, async () => {
            const socket = await daemonSocket();
            socket.resume();
            socket.write(frame({ jsonrpc: '2.0', id: 1, method: Methods.prepareTask.method, params: { cwd: world.repo, slug: 'x'.repeat(MAX_REQUEST_BYTES - 2 ** 16) } }));
            await first(socket, 'data', 'close');
            socket.destroy();
          }),
        ),
      ));

    await t.test('a holder serves on while its agent prints 10 MB to viewers that do not read, controllers ask for screens unread and typists fill an agent that does not read, within 150 MiB', async () => {
      const task = await world.request<TaskDetail>(Methods.createTask, { slug: 'flood', description: 'Flood.\n', agent: 'flood' });
      await world.start(task.id);
      const ref = String(task.id);
      const { socket: path } = await world.request<TerminalInfo>(Methods.terminal, { ref });
      const holderPid = world.sandbox.holders().find((h) => h.task.id === task.id)!.pid;
      const memory = new PeakMemory([holderPid, daemonPid]);
      const raw = async (role: 'viewer' | 'control' | 'readonly', then: Buffer[] = []) => {
        const socket = connect(path);
        socket.on('error', () => {});
        await once(socket, 'connect');
        socket.write(Buffer.concat([encodeFrame({ t: 'hello', version: HOLDER_PROTOCOL_VERSION, role, cols: 80, rows: 24 }), ...then]));
        return socket;
      };
      // Viewers that say hello and read nothing more.
      const stuck = await Promise.all(Array.from({ length: 8 }, () => raw('readonly').then((s) => (s.pause(), s))));
      // Controllers that ask for the whole screen and history 1000 times and read nothing.
      const screens = Array.from({ length: 1000 }, (_, id) => encodeFrame({ t: 'screen', id, lines: 10_000, ansi: true }));
      const greedy = await Promise.all(Array.from({ length: 4 }, () => raw('control', screens).then((s) => (s.pause(), s))));
      // Typists that send 3 MiB to an agent that reads none of it.
      const typing = Array.from({ length: 48 }, () => encodeFrame({ t: 'input', data: new Uint8Array(64 * 1024).fill(0x61) }));
      const typists = await Promise.all(Array.from({ length: 4 }, () => raw('viewer', typing).then((s) => (s.resume(), s))));
      // One viewer that reads, to know when the flood is over.
      const follower = await HolderConnection.open(path, { role: 'readonly', cols: 80, rows: 24 });
      let tail = '';
      const over = new Promise<void>((resolve) =>
        follower.onMessage((message) => {
          if (message.t !== 'output' && message.t !== 'snapshot') return;
          tail = (tail + Buffer.from(message.data as string | Uint8Array).toString()).slice(-200);
          if (tail.includes('FLOOD DONE')) resolve();
        }),
      );
      writeFileSync(trigger(world.repo), '');
      try {
        await Promise.all([over, ...typists.map((s) => closed(s, 30_000))]);
      } finally {
        memory.stop();
        follower.close();
      }
      tally.injected += 4;
      // The holder answers, however long that takes (the test's timeout is the bound); a freeze is counted.
      const peek = await Promise.race([world.sandbox.run(['peek', ref], { cwd: world.repo }), delay(60_000, undefined, { ref: false })]);
      if (peek?.code !== 0) tally.holderFreezes++;
      assert.equal(peek?.code, 0, `peek after the flood: ${peek ? peek.stderr : 'no answer within 60 s'}`);
      assert.match(peek.stdout, /FLOOD DONE/);
      for (const socket of [...stuck, ...greedy]) socket.destroy();
      const holderPeak = memory.peak(holderPid);
      tally.peakHolderMiB = Math.max(tally.peakHolderMiB, holderPeak);
      tally.peakDaemonMiB = Math.max(tally.peakDaemonMiB, memory.peak(daemonPid));
      await world.holds({ daemonPid });
      assert.ok(holderPeak <= HOLDER_MAX_MIB, `the holder's peak RSS was ${holderPeak.toFixed(0)} MiB`);
    });
  } finally {
    await world.cleanup();
  }
  t.diagnostic(tally.line('floods'));
});
