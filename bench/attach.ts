/**
 * Attach: the time from starting `orchestra attach` to a full screen in the user's
 * terminal, against `tmux attach`, `dtach -a` and a raw PTY (`cat` of the same screen) in
 * the same run, and from starting `orchestra ui` to the app's screen in its preview; and the memory of an idle holder (RSS and PSS) against the tmux server and
 * the dtach master holding the same app. Reported as medians and ratios.
 *
 * The app draws a full 80×24 screen of coloured lines and draws it again on every SIGWINCH
 * (dtach keeps no screen, so it relies on that redraw). The attaching terminal is a real PTY read
 * through a headless xterm: "full" means its last row shows the app's last line.
 *
 * tmux and dtach come from Debian's packages (.ci/run installs them); a missing one is
 * reported and left out.
 */
import { writeFileSync } from 'node:fs';
import xtermHeadless from '@xterm/headless';
import { CLI, comparedTools, median, memory, Rig } from './common.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const COLS = 80;
const ROWS = 24;

const APP = `
const draw = () => {
  const rows = process.stdout.rows || ${ROWS};
  let s = '\\x1b[H\\x1b[2J';
  for (let i = 1; i <= rows; i++) s += '\\x1b[3' + (i % 8) + 'mline ' + String(i).padStart(2) + ' ' + 'x'.repeat(60) + '\\x1b[0m' + (i < rows ? '\\r\\n' : '');
  process.stdout.write(s);
};
// Every SIGWINCH redraws (dtach's redraw method), after Node has read the new size.
process.on('SIGWINCH', () => setImmediate(draw));
draw();
setInterval(() => {}, 1 << 30);
`;

/** The last row of the terminal shows the app's last line: the whole screen is there. */
const fullScreen = (xterm: InstanceType<typeof xtermHeadless.Terminal>) =>
  (xterm.buffer.active.getLine(xterm.buffer.active.viewportY + ROWS - 1)?.translateToString(true) ?? '').startsWith(`line ${ROWS}`);

/** Some row shows the app's last line: `orchestra ui`'s preview pane, which ends at the app's last row, has it. */
const inPreview = (xterm: InstanceType<typeof xtermHeadless.Terminal>) => {
  for (let y = 0; y < ROWS; y++) if (xterm.buffer.active.getLine(xterm.buffer.active.viewportY + y)?.translateToString(true).startsWith(`line ${ROWS}`)) return true;
  return false;
};

/** Spawns `argv` in a fresh 80×24 PTY and resolves with the ms until `shown` holds for its screen. */
function timeToFullScreen(rig: Rig, argv: string[], detach: string | undefined, shown = fullScreen): Promise<number> {
  return new Promise((resolve, reject) => {
    const xterm = new xtermHeadless.Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true });
    const start = process.hrtime.bigint();
    const pty = rig.client(argv, COLS, ROWS);
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${argv.join(' ')} showed no full screen in 10 s`)), 10_000);
    const finish = (error?: Error, ms?: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const exited = new Promise<void>((r) => pty.onExit(() => r()));
      if (detach) pty.write(detach);
      else pty.kill();
      void Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]).then(() => {
        pty.kill();
        xterm.dispose();
        if (error) reject(error);
        else resolve(ms!);
      });
    };
    pty.onData((data) => {
      xterm.write(data, () => {
        if (shown(xterm)) finish(undefined, Number(process.hrtime.bigint() - start) / 1e6);
      });
    });
    xterm.onData((reply) => pty.write(reply));
  });
}

interface Contender {
  name: string;
  argv: string[];
  detach?: string;
  serverPid?: () => number;
  shown?: typeof fullScreen;
}

async function main(rig: Rig): Promise<void> {
  const app = rig.file('app.js');
  writeFileSync(app, APP);
  rig.agents({ app: [process.execPath, app] });
  // The raw PTY's screen: exactly what the app draws at 80×24.
  const screenFile = rig.file('screen.txt');
  let screen = '\x1b[H\x1b[2J';
  for (let i = 1; i <= ROWS; i++) screen += `\x1b[3${i % 8}mline ${String(i).padStart(2)} ${'x'.repeat(60)}\x1b[0m${i < ROWS ? '\r\n' : ''}`;
  writeFileSync(screenFile, screen);
  const id = await rig.startTask('app', {}, COLS, ROWS);

  const contenders: Contender[] = [
    { name: 'raw PTY (cat of the screen)', argv: ['cat', screenFile] },
    // The floor for any client written for Node: starting Node and printing the screen.
    { name: 'node printing the screen', argv: [process.execPath, '-e', `process.stdout.write(require('fs').readFileSync(${JSON.stringify(screenFile)}))`] },
    { name: 'orchestra attach', argv: [process.execPath, CLI, 'attach', id], detach: '\x1c', serverPid: () => rig.holderPid(id) },
    // The dashboard's first frame with the agent's screen in its preview: start-up, the task list, a holder connection.
    { name: 'orchestra ui (preview)', argv: [process.execPath, CLI, 'ui'], detach: 'q', shown: inPreview },
  ];
  const tools = comparedTools();
  if (tools.tmux) {
    contenders.push({ name: 'tmux attach', argv: rig.tmuxSession('app', [process.execPath, app], COLS, ROWS), detach: '\x02d', serverPid: () => rig.tmuxServerPid() });
  }
  if (tools.dtach) {
    const socket = rig.dtachSession('app', [process.execPath, app]);
    contenders.push({ name: 'dtach -a', argv: ['dtach', '-a', socket, '-r', 'winch'], detach: '\x1c', serverPid: () => rig.dtachMasterPid(socket) });
  }

  // Let every server settle, and warm caches.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const c of contenders) for (let i = 0; i < 2; i++) await timeToFullScreen(rig, c.argv, c.detach, c.shown);
  const samples = contenders.map(() => [] as number[]);
  for (let run = 0; run < RUNS; run++) {
    for (const [i, c] of contenders.entries()) samples[i]!.push(await timeToFullScreen(rig, c.argv, c.detach, c.shown));
  }
  const medians = samples.map(median);
  const ourIndex = contenders.findIndex((c) => c.name === 'orchestra attach');
  const ours = medians[ourIndex]!;
  console.log(`Attach to a full ${COLS}×${ROWS} screen, median of ${RUNS} interleaved runs (node ${process.version}):`);
  contenders.forEach((c, i) => {
    const ratio = c.name.startsWith('orchestra ui') ? '' : `   orchestra attach is ${(ours / medians[i]!).toFixed(2)}× this`;
    console.log(`  ${c.name.padEnd(30)} ${medians[i]!.toFixed(1).padStart(7)} ms${ratio}`);
  });
  const tmuxIndex = contenders.findIndex((c) => c.name === 'tmux attach');
  const uiIndex = contenders.findIndex((c) => c.name.startsWith('orchestra ui'));
  if (tmuxIndex >= 0) console.log(`  orchestra ui shows the agent's screen in ${(medians[uiIndex]! / medians[tmuxIndex]!).toFixed(2)}× the time of tmux attach`);

  await new Promise((resolve) => setTimeout(resolve, 2000)); // idle
  console.log('Memory of the process that holds the terminal, idle (MiB):');
  const ourMemory = memory(contenders[ourIndex]!.serverPid!());
  for (const c of contenders.filter((c) => c.serverPid)) {
    const m = memory(c.serverPid!());
    console.log(
      `  ${c.name.replace(/ .*/, '').padEnd(10)} RSS ${m.rss.toFixed(1).padStart(6)}  PSS ${m.pss.toFixed(1).padStart(6)}   holder is ${(ourMemory.rss / m.rss).toFixed(1)}× RSS, ${(ourMemory.pss / m.pss).toFixed(1)}× PSS`,
    );
  }
}

const rig = new Rig();
try {
  await main(rig);
} finally {
  rig.close();
}
