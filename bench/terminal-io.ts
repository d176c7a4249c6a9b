/**
 * The holder on the hot path, side by side with the raw PTY, dtach and tmux in one run
 * (issue 4's bench):
 *
 * - Output throughput with one viewer attached: an app writes 100 MB (BENCH_MB) of short
 *   lines, then of ANSI-coloured log lines, as fast as its terminal takes them; the app
 *   times itself. The viewer is a client (`orchestra attach`, `tmux attach`, `dtach -a`)
 *   in a PTY this bench drains. Goal: orchestra ≥ dtach.
 * - Keystroke echo latency through an attached client: a key typed into the viewer's PTY,
 *   echoed by `cat` in raw mode, back on the viewer's PTY; median and p99 of 300 keys.
 *   Goal: median ≤ 1.5× tmux, p99 ≤ 1 ms.
 * - Memory of the process that holds the terminal (holder, tmux server, dtach master),
 *   idle and after 10,000 ANSI lines at 200 columns, with 10,000 lines of history in both
 *   the holder and tmux. Goal: holder PSS ≤ 25 MB idle, ≤ 60 MB full.
 *
 * BENCH_PARTS (throughput,echo,memory) picks parts. The app waits for a FIFO to be written before it starts, so every viewer is attached and
 * settled first.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { IPty } from 'node-pty';
import { CLI, comparedTools, median, memory, percentile, ratioTable, Rig, sleep, until } from './common.js';

const MB = Number(process.env.BENCH_MB ?? 100);
const KEYS = Number(process.env.BENCH_KEYS ?? 300);
const THROUGHPUT_RUNS = Number(process.env.BENCH_RUNS ?? 3);

/**
 * The app: waits for its FIFO, then writes `BENCH_MB` of one kind of line to its terminal
 * with blocking writes, records the ms it took, and stays (so no session ends under a viewer).
 * `lines` prints 10,000 lines and stays. Paths come from argv or, under orchestra, from env.
 */
const APP = `
const fs = require('fs');
const [kind, fifo, result] = [process.argv[2] ?? process.env.BENCH_KIND, process.argv[3] ?? process.env.BENCH_FIFO, process.argv[4] ?? process.env.BENCH_RESULT];
fs.writeFileSync(1, 'ready\\n');
// dtach keeps no screen: its viewer asks for a redraw with SIGWINCH.
process.on('SIGWINCH', () => fs.writeSync(1, 'ready\\n'));
fs.readFile(fifo, () => {
const colour = (i) => '\\x1b[2m2026-11-25T01:02:03.' + String(i % 1000).padStart(3, '0') + 'Z\\x1b[0m \\x1b[1;3' + (i % 7 + 1) + 'mINFO\\x1b[0m worker-' + (i % 16) + ' \\x1b[36mrequest\\x1b[0m id=' + i + ' took \\x1b[33m' + (i % 97) + 'ms\\x1b[0m\\n';
const short = (i) => 'line ' + i + '\\n';
const line = kind === 'plain' ? short : colour;
if (kind === 'lines') {
  // 10,000 lines of 200 columns.
  for (let i = 0; i < 10000; i++) fs.writeSync(1, colour(i).slice(0, -1) + ' ' + 'x'.repeat(120) + '\\n');
} else {
  let chunk = '';
  for (let i = 0; chunk.length < 65536; i++) chunk += line(i);
  const bytes = Buffer.from(chunk);
  const total = ${MB} * 1024 * 1024;
  const start = process.hrtime.bigint();
  for (let sent = 0; sent < total; ) {
    let offset = 0;
    while (offset < bytes.length) offset += fs.writeSync(1, bytes, offset);
    sent += bytes.length;
  }
  fs.writeFileSync(result, String(Number(process.hrtime.bigint() - start) / 1e6));
}
});
setInterval(() => {}, 1 << 30);
`;

/** The echo app: `cat` on a raw terminal writes back each key as it reads it. */
const ECHO_APP = ['/bin/sh', '-c', 'stty raw -echo; exec cat'];

/** Keeps reading a client's PTY (a fast terminal): what arrived lately, and a wait for a key to come back. */
function drain(pty: IPty): { text: () => string; echo: (key: string) => Promise<void> } {
  let recent = '';
  let waiting: { key: string; resolve: () => void } | undefined;
  pty.onData((data) => {
    recent = (recent + data).slice(-4096);
    if (waiting && data.includes(waiting.key)) {
      waiting.resolve();
      waiting = undefined;
    }
  });
  return { text: () => recent, echo: (key) => new Promise((resolve) => (waiting = { key, resolve })) };
}

interface Contender {
  name: string;
  /** Starts the app (with `args` on its command line, or `env` for orchestra), returns the viewer's command and a cleanup. */
  launch(app: string[], env: Record<string, string>, cols: number, rows: number): Promise<{ viewer?: string[]; detach?: string; pid: () => number; stop: () => void }>;
}

function contenders(rig: Rig, tools: { tmux: boolean; dtach: boolean }): Contender[] {
  let session = 0;
  const list: Contender[] = [
    {
      name: 'orchestra attach',
      async launch(_app, env, cols, rows) {
        const id = await rig.startTask(env.BENCH_KIND === 'echo' ? 'echo' : 'app', env, cols, rows);
        return { viewer: [process.execPath, CLI, 'attach', id], detach: '\x1c', pid: () => rig.holderPid(id), stop: () => rig.stopTask(id) };
      },
    },
  ];
  if (tools.tmux) {
    list.push({
      name: 'tmux attach',
      async launch(app, _env, cols, rows) {
        const name = `s${++session}`;
        const viewer = rig.tmuxSession(name, app, cols, rows);
        return { viewer, detach: '\x02d', pid: () => rig.tmuxServerPid(), stop: () => rig.killTmuxSession(name) };
      },
    });
  }
  if (tools.dtach) {
    list.push({
      name: 'dtach -a',
      async launch(app) {
        const socket = rig.dtachSession(`s${++session}`, app);
        return { viewer: ['dtach', '-a', socket, '-r', 'winch'], detach: '\x1c', pid: () => rig.dtachMasterPid(socket), stop: () => rig.killDtach(socket) };
      },
    });
  }
  return list;
}

/** The app in the bench's own PTY: the floor. */
const RAW = 'raw PTY';

async function throughput(rig: Rig, list: Contender[], app: string, kind: 'plain' | 'ansi'): Promise<void> {
  const results = new Map<string, number[]>();
  let runs = 0;
  for (let run = 0; run < THROUGHPUT_RUNS; run++) {
    for (const contender of [{ name: RAW } as Contender, ...list]) {
      const fifo = rig.file(`go-${kind}-${++runs}`);
      const result = `${fifo}.ms`;
      execFileSync('mkfifo', [fifo]);
      const argv = [process.execPath, app, kind, fifo, result];
      let viewer: IPty;
      let stop = () => {};
      if (contender.name === RAW) viewer = rig.client(argv);
      else {
        const launched = await contender.launch(argv, { BENCH_KIND: kind, BENCH_FIFO: fifo, BENCH_RESULT: result }, 80, 24);
        viewer = rig.client(launched.viewer!);
        stop = launched.stop;
      }
      const screen = drain(viewer);
      await until(`${contender.name} to show the app`, () => screen.text().includes('ready'), 20_000);
      await sleep(300);
      writeFileSync(fifo, 'go');
      await until(`${contender.name} to pass ${MB} MB`, () => existsSync(result), 600_000);
      await sleep(50);
      const ms = Number(readFileSync(result, 'utf8'));
      (results.get(contender.name) ?? results.set(contender.name, []).get(contender.name)!).push(MB / (ms / 1000));
      viewer.kill();
      stop();
    }
  }
  ratioTable(
    `Output throughput, ${MB} MB of ${kind === 'plain' ? 'short lines' : 'ANSI-coloured log lines'}, one viewer attached (MB/s, median of ${THROUGHPUT_RUNS}; higher is better):`,
    'MB/s',
    [...results].map(([name, values]) => [name, median(values)]),
    'orchestra attach',
  );
}

async function echoLatency(rig: Rig, list: Contender[]): Promise<void> {
  const argv = ECHO_APP;
  const rows: [string, number, number][] = [];
  for (const contender of [{ name: RAW } as Contender, ...list]) {
    let viewer: IPty;
    let stop = () => {};
    if (contender.name === RAW) viewer = rig.client(argv);
    else {
      const launched = await contender.launch(argv, { BENCH_KIND: 'echo' }, 80, 24);
      viewer = rig.client(launched.viewer!);
      stop = launched.stop;
    }
    const screen = drain(viewer);
    // Keys until one comes back: the client is attached and the app reads (dtach shows nothing before).
    await until(`${contender.name} to echo a key`, () => (viewer.write('x'), screen.text().includes('x')), 20_000);
    await sleep(500);
    const samples: number[] = [];
    for (let i = 0; i < KEYS; i++) {
      const key = 'x';
      const arrived = screen.echo(key);
      const start = process.hrtime.bigint();
      viewer.write(key);
      await arrived;
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      // A typist's pace, so each key meets an idle pipeline.
      await sleep(5 + Math.random() * 10);
    }
    rows.push([contender.name, median(samples), percentile(samples, 99)]);
    viewer.kill();
    stop();
  }
  const ours = rows.find(([name]) => name === 'orchestra attach')!;
  const tmux = rows.find(([name]) => name === 'tmux attach');
  console.log(`Keystroke echo through an attached client, ${KEYS} keys (ms; lower is better):`);
  for (const [name, p50, p99] of rows) {
    const ratio = name === ours[0] ? '' : `   orchestra is ${(ours[1] / p50).toFixed(2)}× (median), ${(ours[2] / p99).toFixed(2)}× (p99)`;
    console.log(`  ${name.padEnd(28)} median ${p50.toFixed(3).padStart(7)}  p99 ${p99.toFixed(3).padStart(7)}${ratio}`);
  }
  if (tmux) console.log(`  goal: median ≤ 1.5× tmux (${(ours[1] / tmux[1]).toFixed(2)}×), p99 ≤ 1 ms (${ours[2].toFixed(3)} ms)`);
}

async function holderMemory(rig: Rig, list: Contender[], app: string): Promise<void> {
  console.log('Memory of the process that holds the terminal, 200×50, 10,000 lines of history (MiB; lower is better):');
  const rows: { name: string; idle: { rss: number; pss: number }; full: { rss: number; pss: number } }[] = [];
  for (const contender of list) {
    const fifo = rig.file(`go-memory-${contender.name.replace(/\W/g, '')}`);
    execFileSync('mkfifo', [fifo]);
    const launched = await contender.launch([process.execPath, app, 'lines', fifo, ''], { BENCH_KIND: 'lines', BENCH_FIFO: fifo }, 200, 50);
    await sleep(2000);
    const idle = memory(launched.pid());
    writeFileSync(fifo, 'go');
    await sleep(3000);
    const full = memory(launched.pid());
    rows.push({ name: contender.name.replace(/ .*/, ''), idle, full });
    launched.stop();
  }
  // The floor for a holder written for Node: an idle Node process that has loaded nothing.
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  await sleep(2000);
  const floor = memory(bare.pid!);
  bare.kill();
  rows.push({ name: 'bare node', idle: floor, full: floor });
  const ours = rows[0]!;
  for (const { name, idle, full } of rows) {
    const ratio = name === ours.name ? '' : `   holder is ${(ours.idle.pss / idle.pss).toFixed(1)}× / ${(ours.full.pss / full.pss).toFixed(1)}× PSS`;
    console.log(`  ${name.padEnd(10)} idle RSS ${idle.rss.toFixed(1).padStart(6)} PSS ${idle.pss.toFixed(1).padStart(6)}   full RSS ${full.rss.toFixed(1).padStart(6)} PSS ${full.pss.toFixed(1).padStart(6)}${ratio}`);
  }
  console.log(`  goal: holder PSS ≤ 25 idle (${ours.idle.pss.toFixed(1)}), ≤ 60 full (${ours.full.pss.toFixed(1)})`);
}

const rig = new Rig({ tmuxHistory: 10_000 });
try {
  const app = rig.file('app.js');
  writeFileSync(app, APP);
  rig.agents({ app: [process.execPath, app], echo: ECHO_APP });
  const tools = comparedTools();
  const list = contenders(rig, tools);
  console.log(`Machine: ${process.arch}, node ${process.version}; ${cpus().length} cores.`);
  const parts = (process.env.BENCH_PARTS ?? 'throughput,echo,memory').split(',');
  if (parts.includes('throughput')) {
    await throughput(rig, list, app, 'plain');
    await throughput(rig, list, app, 'ansi');
  }
  if (parts.includes('echo')) await echoLatency(rig, list);
  if (parts.includes('memory')) await holderMemory(rig, list, app);
} finally {
  rig.close();
}
