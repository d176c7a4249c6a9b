import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import xtermHeadless from '@xterm/headless';
import { HolderConnection } from '../../protocol/holder-client.js';
import { encodeFrame, FrameDecoder, HOLDER_PROTOCOL_VERSION, type HolderMeta, type HolderSpec } from '../../protocol/holder.js';
import { MAX_CLIENTS } from '../../src/holder/holder-server.js';
import { residentBytes } from '../helpers/processes.js';
import { waitFor } from '../helpers/sandbox.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

const HOLDER = fileURLToPath(new URL('../../src/holder/main.js', import.meta.url));

/** An agent that counts, one number per line, as fast as a busy agent prints. */
const COUNTER = `let n = 0; const tick = () => { for (let i = 0; i < 20; i++) process.stdout.write((++n) + '\\n'); if (n < 4000) setTimeout(tick, 2); else setInterval(() => {}, 1000); }; tick();`;

/** A holder started the way the daemon starts one, running `command`, in its own directory. */
class TestHolder {
  readonly dir = mkdtempSync(join(scratchDir(), 'orch-holder-'));
  readonly socket = join(this.dir, 'h.sock');
  readonly meta = join(this.dir, 'h.json');
  readonly process: ChildProcess;
  readonly exited: Promise<unknown>;

  constructor(command: string[], options: { scrollback?: number; activity?: HolderSpec['activity'] } = {}) {
    const spec: HolderSpec = {
      key: 'h',
      socket: this.socket,
      meta: this.meta,
      command,
      cwd: this.dir,
      env: { PATH: process.env.PATH ?? '' },
      cols: 80,
      rows: 24,
      scrollback: options.scrollback ?? 1000,
      task: { id: 1, slug: 'test', project: this.dir },
      agent: 'test',
      activity: options.activity ?? { idle_after_ms: 3000, patterns: [] },
    };
    writeFileSync(join(this.dir, 'spec.json'), JSON.stringify(spec));
    // Not inheriting stdio: the test runner waits for every holder of its output to close it.
    this.process = spawn(process.execPath, [HOLDER, join(this.dir, 'spec.json')], { stdio: 'ignore', detached: true });
    this.exited = once(this.process, 'exit');
  }

  serving(): Promise<void> {
    return waitFor(() => this.readMeta()?.agent_pid !== undefined, 'the holder to serve');
  }

  readMeta(): HolderMeta | undefined {
    try {
      return JSON.parse(readFileSync(this.meta, 'utf8')) as HolderMeta;
    } catch {
      return undefined;
    }
  }

  /** The holder's resident memory, in bytes. */
  rss(): number {
    return residentBytes(this.process.pid!);
  }

  cleanup(): void {
    const agent = this.readMeta()?.agent_pid;
    try {
      if (agent) process.kill(-agent, 'SIGKILL');
    } catch {
      // Gone.
    }
    this.process.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('a holder', () => {
  const counter = new TestHolder([process.execPath, '-e', COUNTER]);
  const socket = counter.socket;

  before(() => counter.serving());
  after(() => counter.cleanup());

  it('gives an attaching viewer the screen, then the stream, without a gap or a repeat', async () => {
    // Attach while the agent prints, once it has filled a screen or more.
    const control = await HolderConnection.open(socket, { role: 'control', cols: 80, rows: 24 });
    await waitFor(async () => /^\d{3,}$/m.test(await control.screen(0, false)), 'the agent to print a screenful');
    control.close();
    const viewer = await HolderConnection.open(socket, { role: 'readonly', cols: 80, rows: 24 });
    const terminal = new xtermHeadless.Terminal({ cols: 80, rows: 24, scrollback: 10_000, allowProposedApi: true });
    viewer.onMessage((message) => {
      if (message.t === 'snapshot') terminal.write(message.data);
      else if (message.t === 'output') terminal.write(message.data);
    });
    await waitFor(async () => {
      await new Promise<void>((resolve) => terminal.write('', resolve));
      return terminal.buffer.active.getLine(terminal.buffer.active.baseY + terminal.buffer.active.cursorY - 1)?.translateToString(true) === '4000';
    }, 'the count to end');
    viewer.close();
    const buffer = terminal.buffer.active;
    const numbers: number[] = [];
    for (let y = 0; y < buffer.length; y++) {
      const text = buffer.getLine(y)!.translateToString(true);
      if (text !== '') numbers.push(Number(text));
    }
    assert.ok(numbers[0]! > 1, 'the viewer attached mid-stream');
    numbers.forEach((n, i) => i > 0 && assert.equal(n, numbers[i - 1]! + 1, `line ${i}: ${numbers[i - 1]} then ${n}`));
  });

  it('streams to a preview without counting it as a viewer, ignores its keys, and resends the screen when the size changes', async () => {
    const control = await HolderConnection.open(socket, { role: 'control', cols: 80, rows: 24 });
    const counts: number[] = [];
    control.onMessage((message) => message.t === 'viewers' && counts.push(message.count));
    const preview = await HolderConnection.open(socket, { role: 'preview', cols: 80, rows: 24 });
    assert.equal(preview.hello.viewers, 0);
    const snapshots: Array<[number, number]> = [];
    preview.onMessage((message) => message.t === 'snapshot' && snapshots.push([message.cols, message.rows]));
    await waitFor(() => snapshots.length === 1, 'the first snapshot');
    preview.send({ t: 'input', data: Buffer.from('typed by a preview\r') });
    preview.send({ t: 'resize', cols: 50, rows: 10 });
    // A person attaching at another size resizes the terminal: the preview gets the screen at that size.
    const viewer = await HolderConnection.open(socket, { role: 'viewer', cols: 100, rows: 30 });
    await waitFor(() => snapshots.some(([cols, rows]) => cols === 100 && rows === 30), 'a snapshot at the new size');
    assert.deepEqual(counts, [1], 'only the person counts as a viewer');
    viewer.close();
    await waitFor(() => counts.length === 2, 'the person to leave');
    assert.doesNotMatch(await control.screen(0, false), /typed by a preview/);
    preview.close();
    control.close();
  });

  it('closes a connection that sends garbage, a bad version or an oversized frame, and no other', async () => {
    const watcher = await HolderConnection.open(socket, { role: 'control', cols: 80, rows: 24 });
    const abuse = async (bytes: Buffer) => {
      const s = connect(socket);
      s.on('error', () => {});
      s.resume(); // Read, so that the holder's hang-up is seen.
      s.write(bytes);
      await once(s, 'close');
    };
    await abuse(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await abuse(Buffer.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1]));
    await abuse(encodeFrame({ t: 'hello', version: HOLDER_PROTOCOL_VERSION + 1, role: 'viewer', cols: 80, rows: 24 }));
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(64 * 1024 * 1024);
    await abuse(huge);
    await abuse(encodeFrame({ t: 'input', data: Buffer.from('before hello') }));
    assert.match(await watcher.screen(0, false), /4000/, 'the holder and its other clients go on');
    watcher.close();
  });

  it('survives a fuzzer: random bytes, truncated frames and floods close only their own connections', async () => {
    const watcher = await HolderConnection.open(socket, { role: 'readonly', cols: 80, rows: 24 });
    let watcherClosed = false;
    watcher.onClose(() => (watcherClosed = true));
    const valid = [
      encodeFrame({ t: 'hello', version: HOLDER_PROTOCOL_VERSION, role: 'readonly', cols: 80, rows: 24 }),
      encodeFrame({ t: 'screen', id: 1, lines: 5, ansi: true }),
      encodeFrame({ t: 'resize', cols: 100, rows: 30 }),
    ];
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const attempts: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const kind = random(4);
      if (kind === 0) attempts.push(Buffer.from(Array.from({ length: random(4096) }, () => random(256))));
      else if (kind === 1) attempts.push(Buffer.concat(valid).subarray(0, random(60)));
      else if (kind === 2) attempts.push(Buffer.concat([valid[0]!, Buffer.from(Array.from({ length: random(512) }, () => random(256)))]));
      else attempts.push(Buffer.concat([valid[0]!, ...Array.from({ length: 2000 }, () => valid[2]!)]));
    }
    for (let i = 0; i < attempts.length; i += 20) {
      await Promise.all(
        attempts.slice(i, i + 20).map(async (bytes) => {
          const s = connect(socket);
          s.on('error', () => {});
          s.resume();
          s.end(bytes);
          // Whatever the holder makes of it, the connection ends (a half-open one is closed by us).
          await Promise.race([once(s, 'close'), new Promise((resolve) => setTimeout(resolve, 1000))]);
          s.destroy();
        }),
      );
    }
    assert.equal(watcherClosed, false, 'a viewer that did nothing wrong stays connected');
    const control = await HolderConnection.open(socket, { role: 'control', cols: 80, rows: 24 });
    assert.match(await control.screen(0, false), /4000/, 'the holder and its agent go on');
    control.close();
    watcher.close();
  });
});

describe('a holder under load', () => {
  it('gives every viewer the whole output of an agent that prints 1 MB and exits, then the exit status (20 runs)', async () => {
    const agent = `setTimeout(() => { process.stdout.write(('y'.repeat(99) + '\\n').repeat(10486)); process.stdout.write('LAST LINE\\n'); process.exitCode = 3; }, 300)`;
    for (let run = 0; run < 20; run++) {
      const holder = new TestHolder([process.execPath, '-e', agent]);
      try {
        await holder.serving();
        const viewer = await HolderConnection.open(holder.socket, { role: 'readonly', cols: 80, rows: 24 });
        // What the viewer shows: snapshots (a viewer that falls behind gets one) and output.
        const screen = new xtermHeadless.Terminal({ cols: 80, rows: 24, allowProposedApi: true });
        const exit = await new Promise<{ code: number | null }>((resolve) =>
          viewer.onMessage((message) => {
            if (message.t === 'snapshot') screen.write(`\x1b[H\x1b[2J${message.data}`);
            else if (message.t === 'output') screen.write(message.data);
            else if (message.t === 'exit') resolve(message);
          }),
        );
        await new Promise<void>((resolve) => screen.write('', resolve));
        const buffer = screen.buffer.active;
        const last = buffer.getLine(buffer.baseY + buffer.cursorY - 1)?.translateToString(true);
        assert.equal(last, 'LAST LINE', `run ${run}: the viewer saw the last line before the exit`);
        assert.equal(exit.code, 3);
        screen.dispose();
        await holder.exited;
      } finally {
        holder.cleanup();
      }
    }
  });

  it('is not slowed by a viewer that stops reading while the agent prints 50 MB, and resyncs it after', async () => {
    const agent = `const line = '\\x1b[32mINFO\\x1b[0m ' + 'z'.repeat(90) + '\\n'; let left = 50 * 1024 * 1024; const go = () => { while (left > 0) { left -= line.length * 100; if (!process.stdout.write(line.repeat(100))) return process.stdout.once('drain', go); } process.stdout.write('DONE\\n'); setInterval(() => {}, 1000); }; setTimeout(go, 200);`;
    const holder = new TestHolder([process.execPath, '-e', agent], { scrollback: 1000 });
    try {
      await holder.serving();
      // A viewer that says hello and then reads nothing.
      const stuck = connect(holder.socket);
      stuck.write(encodeFrame({ t: 'hello', version: HOLDER_PROTOCOL_VERSION, role: 'readonly', cols: 80, rows: 24 }));
      stuck.pause();
      const control = await HolderConnection.open(holder.socket, { role: 'control', cols: 80, rows: 24 });
      let peakRss = 0;
      await waitFor(async () => {
        peakRss = Math.max(peakRss, holder.rss());
        return (await control.screen(0, false)).includes('DONE');
      }, 'the agent to finish printing', 120_000);
      assert.ok(peakRss < 110 * 1024 * 1024, `the holder stayed bounded (peak RSS ${Math.round(peakRss / 2 ** 20)} MiB for 50 MB of output)`);
      // Once it reads again, the stuck viewer gets the screen as it is now.
      const frames: string[] = [];
      const decoder = new FrameDecoder();
      stuck.on('data', (chunk: Buffer) => {
        for (const message of decoder.push(chunk)) if (message.t === 'snapshot') frames.push(message.data as string);
      });
      stuck.resume();
      await waitFor(() => frames.some((frame) => frame.includes('DONE')), 'a fresh snapshot for the viewer that fell behind', 60_000);
      stuck.destroy();
      control.close();
    } finally {
      holder.cleanup();
    }
  });
});

describe('a holder whose clients ask too much', () => {
  // An agent that never reads what is typed: the terminal's buffer fills, the rest waits in the holder.
  const deaf = new TestHolder(['/bin/sh', '-c', 'echo deaf; exec sleep 300']);

  before(() => deaf.serving());
  after(() => deaf.cleanup());

  const refusal = (connection: HolderConnection) =>
    new Promise<string>((resolve) => {
      let said = '';
      connection.onMessage((message) => {
        if (message.t === 'error') said = message.message;
      });
      connection.onClose(() => resolve(said));
    });

  it('refuses typing the agent does not read past 1 MiB, instead of holding it without end', async () => {
    const viewer = await HolderConnection.open(deaf.socket, { role: 'viewer', cols: 80, rows: 24 });
    const refused = refusal(viewer);
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    for (let i = 0; i < 48; i++) viewer.send({ t: 'input', data: chunk });
    assert.match(await refused, /^The client typed more than the agent reads \(1024 KiB wait for it already\)\.$/);
    assert.ok(deaf.rss() < 150 * 1024 * 1024, `holder RSS ${deaf.rss()} bytes`);
    const control = await HolderConnection.open(deaf.socket, { role: 'control', cols: 80, rows: 24 });
    assert.equal(typeof (await control.screen(0, false)), 'string', 'the holder serves on');
    control.close();
  });

  it(`turns away a client past ${MAX_CLIENTS} connections with a sentence, and takes one again when one leaves`, async () => {
    const open = (role: 'control' | 'readonly') => HolderConnection.open(deaf.socket, { role, cols: 80, rows: 24 });
    const control = await open('control');
    const counts: number[] = [];
    control.onMessage((message) => message.t === 'viewers' && counts.push(message.count));
    const viewers: HolderConnection[] = [];
    try {
      for (let i = 1; i < MAX_CLIENTS; i++) viewers.push(await open('readonly'));
      await assert.rejects(open('readonly'), { message: `The agent's holder serves ${MAX_CLIENTS} connections already; close some of the terminals attached to it.` });
      // The holder has let a viewer go once it tells its controller so.
      viewers.pop()!.close();
      await waitFor(() => counts.at(-1) === MAX_CLIENTS - 2, 'the holder to count one viewer less');
      viewers.push(await open('readonly'));
    } finally {
      for (const viewer of viewers) viewer.close();
      // Gone from the holder's count before the next test connects: it would be turned away.
      await waitFor(() => counts.at(-1) === 0, 'the holder to let every viewer go');
      control.close();
    }
  });

  it('refuses a controller that asks for screens faster than it reads them', async () => {
    const greedy = await HolderConnection.open(deaf.socket, { role: 'control', cols: 80, rows: 24 });
    const refused = refusal(greedy);
    for (let id = 1; id <= 1000; id++) greedy.send({ t: 'screen', id, lines: 10_000, ansi: true });
    assert.match(await refused, /asked for more than 8 screens at once|asked for screens without reading them/);
    assert.ok(deaf.rss() < 150 * 1024 * 1024, `holder RSS ${deaf.rss()} bytes`);
    const control = await HolderConnection.open(deaf.socket, { role: 'control', cols: 80, rows: 24 });
    assert.equal(typeof (await control.screen(0, false)), 'string', 'the holder serves on');
    control.close();
  });
});

describe('a holder typing as a person does', () => {
  const PROMPT_APP = fileURLToPath(new URL('../helpers/prompt-app.js', import.meta.url));
  const pasting = new TestHolder([process.execPath, PROMPT_APP, '--bracketed-paste']);
  const plain = new TestHolder([process.execPath, PROMPT_APP]);

  before(() => Promise.all([pasting.serving(), plain.serving()]));
  after(() => {
    pasting.cleanup();
    plain.cleanup();
  });

  const showsLine = (control: HolderConnection, line: string, what: string) => waitFor(async () => (await control.screen(0, false)).split('\n').includes(line), what);
  const ready = async (holder: TestHolder) => {
    const control = await HolderConnection.open(holder.socket, { role: 'control', cols: 80, rows: 24 });
    await showsLine(control, 'prompt app ready', 'the app to start');
    return control;
  };
  /** The line the app prints for a prompt it was given. */
  const submitted = (text: string, pasted: boolean) => `PROMPT ${pasted ? '(pasted) ' : ''}${JSON.stringify(text)}`;

  for (const [name, holder, pasted] of [['with bracketed paste', pasting, true], ['without bracketed paste', plain, false]] as const) {
    it(`submits text and lines as one prompt to an app ${name} that reads text and Enter in one read as a paste`, async () => {
      const control = await ready(holder);
      // What `send … --enter` wrote before: the app takes the Enter for a newline.
      control.send({ t: 'input', data: Buffer.from('fix the tests\r') });
      await showsLine(control, '> fix the tests⏎', 'the app to take the Enter as a newline');
      await control.type('', true);
      await showsLine(control, submitted('fix the tests\n', false), 'Enter on its own to submit');
      await control.type('and the docs', true);
      await showsLine(control, submitted('and the docs', pasted), 'the text to be submitted');
      await control.type('one\ntwo\r\n\nthree', true);
      await showsLine(control, submitted('one\ntwo\n\nthree', pasted), 'the lines to arrive as one prompt');
      control.close();
    });
  }

  it("types two clients' texts one after the other, never mixed", async () => {
    const [first, second] = await Promise.all([ready(pasting), ready(pasting)]);
    await Promise.all([first.type('from the first', true), second.type('from the second', true)]);
    const prompts = () => first.screen(0, false).then((screen) => screen.split('\n').filter((line) => line.startsWith('PROMPT (pasted) "from the')).sort());
    await waitFor(async () => /first.*second|second.*first/s.test((await prompts()).join('\n')), 'both texts to be submitted');
    assert.deepEqual(await prompts(), [submitted('from the first', true), submitted('from the second', true)]);
    first.close();
    second.close();
  });
});

describe('a holder asked to type too much', () => {
  // An agent that reads nothing and draws nothing: each text waits the longest for it.
  const deaf = new TestHolder(['/bin/sh', '-c', 'echo deaf; exec sleep 300']);

  before(() => deaf.serving());
  after(() => deaf.cleanup());

  it('refuses a client that asks it to type more texts at once than it holds, and serves on', async () => {
    const greedy = await HolderConnection.open(deaf.socket, { role: 'control', cols: 80, rows: 24 });
    const refused = new Promise<string>((resolve) => greedy.onMessage((message) => message.t === 'error' && resolve(message.message)));
    const typed = Array.from({ length: 40 }, (_, i) => greedy.type(`text ${i}`, true).catch((error: Error) => error.message));
    assert.equal(await refused, 'The client asked to type more than 32 texts at once.');
    assert.equal(await typed[39], 'the holder refused: The client asked to type more than 32 texts at once');
    const control = await HolderConnection.open(deaf.socket, { role: 'control', cols: 80, rows: 24 });
    assert.equal(typeof (await control.screen(0, false)), 'string', 'the holder serves on');
    control.close();
  });
});
