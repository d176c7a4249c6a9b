import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { processStartTime, type StartTimeProbe } from '../../src/platform/process-identity.js';
import { endProcessTree, processTable, treeMembers, type ProcessRow, type ProcessTableProbe, type TreeEndIo } from '../../src/platform/process-tree.js';

const missing = (path: string): never => {
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
};

/** A /proc of a few processes; the one whose stat is missing ended after /proc was listed. */
function linuxProbe(stats: Record<number, string>, listed: string[]): ProcessTableProbe & StartTimeProbe {
  const files: Record<string, string> = { '/proc/sys/kernel/random/boot_id': 'b0a7-1d\n' };
  for (const [pid, stat] of Object.entries(stats)) files[`/proc/${pid}/stat`] = stat;
  return {
    readFile: (path) => files[path] ?? missing(path),
    readDir: (path) => (path === '/proc' ? listed : missing(path)),
    ps: () => Promise.reject(new Error('ps is not asked on Linux')),
    psStart: () => {
      throw new Error('ps is not asked on Linux');
    },
  };
}

/** A table row; `start` defaults to one per pid. */
const row = (pid: number, ppid: number, pgid: number, extra: Partial<ProcessRow> = {}): ProcessRow => ({ pid, ppid, pgid, start: `s${pid}`, zombie: false, ...extra });
const pids = (rows: ProcessRow[]) => rows.map((r) => r.pid).sort((a, b) => a - b);

describe('process tree: the table', () => {
  it('Linux: every /proc/<pid>/stat, names with spaces and parentheses, zombies marked, with processStartTime\'s start times', async () => {
    const probe = linuxProbe(
      {
        1: '1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 5 1000 10 0\n',
        4242: '4242 (my (odd) agent) S 4200 4242 4242 34816 4242 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 0\n',
        4243: '4243 (sleep) Z 4242 4243 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 987700 0 0 0\n',
        4244: 'garbage\n',
      },
      ['1', 'self', 'sys', '4242', '4243', '4244', '4245'],
    );
    assert.deepEqual(await processTable('linux', probe), [
      { pid: 1, ppid: 0, pgid: 1, start: 'b0a7-1d:5', zombie: false },
      { pid: 4242, ppid: 4200, pgid: 4242, start: 'b0a7-1d:987654', zombie: false },
      { pid: 4243, ppid: 4242, pgid: 4243, start: 'b0a7-1d:987700', zombie: true },
    ]);
    assert.equal(processStartTime(4242, 'linux', probe), 'b0a7-1d:987654', 'the start times compare with recorded identities');
    assert.equal(await processTable('linux', { ...probe, readDir: missing }), undefined, 'no /proc: no table');
  });

  it('macOS: ps -A with lstart, spaces folded as processStartTime folds them; lines that are not a process are skipped', async () => {
    const out = [
      '    1     0     1 Ss   Mon Nov 23 08:00:01 2026',
      '  501     1   501 Ss   Sat Nov 28  9:03:01 2026   ',
      '  502   501   502 Z+   Sat Nov 28  9:03:02 2026',
      '',
      'ps: something odd',
    ].join('\n');
    const probe: ProcessTableProbe & StartTimeProbe = {
      readFile: () => missing('/proc'),
      readDir: () => missing('/proc'),
      ps: async () => out,
      psStart: (pid) => (pid === 501 ? 'Sat Nov 28  9:03:01 2026\n' : ''),
    };
    assert.deepEqual(await processTable('darwin', probe), [
      { pid: 1, ppid: 0, pgid: 1, start: 'Mon Nov 23 08:00:01 2026', zombie: false },
      { pid: 501, ppid: 1, pgid: 501, start: 'Sat Nov 28 9:03:01 2026', zombie: false },
      { pid: 502, ppid: 501, pgid: 502, start: 'Sat Nov 28 9:03:02 2026', zombie: true },
    ]);
    assert.equal(processStartTime(501, 'darwin', probe), 'Sat Nov 28 9:03:01 2026', 'the start times compare with recorded identities');
    assert.equal(await processTable('darwin', { ...probe, ps: () => Promise.reject(new Error('ps: not found')) }), undefined, 'no ps: no table');
  });

  it('this machine: lists this process, its parent and its group, and so does ps -A read as on macOS', async () => {
    const table = await processTable();
    const self = table?.find((r) => r.pid === process.pid);
    assert.ok(self, 'this process is in the table');
    assert.equal(self.ppid, process.ppid);
    assert.equal(self.start, processStartTime(process.pid));
    // The ps branch on this machine's own ps (procps on Linux), against its own reading of the start.
    const viaPs = (await processTable('darwin'))?.find((r) => r.pid === process.pid);
    assert.deepEqual(viaPs, { ...self, start: processStartTime(process.pid, 'darwin') });
  });
});

describe('process tree: what belongs to it', () => {
  const SELF = 50;
  // The holder (SELF) and its agent 100, which started: 101 in its group; 102 leading a group
  // of its own (job control) with 103 in it, which started 104 in a session of its own; and
  // 201, whose parent died, still in the agent's group. 60 is in the holder's group.
  const table = [
    row(1, 0, 1),
    row(SELF, 1, SELF),
    row(60, 100, SELF),
    row(100, SELF, 100),
    row(101, 100, 100),
    row(102, 100, 102),
    row(103, 102, 102),
    row(104, 103, 104),
    row(201, 1, 100),
    row(300, 1, 300),
    row(301, 300, 300),
  ];

  it('the descendants of a root, every member of their groups, never the caller or its group', () => {
    const ours = new Map([[100, 's100']]);
    const tree = treeMembers(table, ours, SELF);
    assert.deepEqual(pids(tree.members), [100, 101, 102, 103, 104, 201]);
    assert.deepEqual(tree.groups.sort(), [100, 102, 104]);
    assert.deepEqual([...ours.keys()].sort(), ['100', '101', '102', '103', '104', '201'].map(Number).sort(), 'remembered for the next table');
  });

  it('after the root died and its children reparented, they are still known by what was remembered', () => {
    const ours = new Map([[100, 's100']]);
    treeMembers(table, ours, SELF);
    const later = [row(1, 0, 1), row(101, 1, 100), row(102, 1, 102), row(103, 102, 102), row(104, 1, 104), row(105, 104, 104), row(300, 1, 300)];
    assert.deepEqual(pids(treeMembers(later, ours, SELF).members), [101, 102, 103, 104, 105]);
  });

  it('a root that is gone lends its group; one whose pid a stranger has now lends nothing', () => {
    const leftovers = [row(1, 0, 1), row(201, 1, 100), row(202, 201, 202)];
    assert.deepEqual(pids(treeMembers(leftovers, new Map([[100, 's100']]), SELF).members), [201, 202]);
    const stranger = [row(1, 0, 1), row(100, 1, 100, { start: 'someone else' }), row(101, 100, 100, { start: 'theirs' })];
    const tree = treeMembers(stranger, new Map([[100, 's100']]), SELF);
    assert.deepEqual(tree, { members: [], groups: [] });
  });

  it('a group whose leader was never seen is not taken for ours', () => {
    const table2 = [row(1, 0, 1), row(100, SELF, 100), row(400, 1, 399)];
    assert.deepEqual(pids(treeMembers(table2, new Map([[100, 's100']]), SELF).members), [100]);
  });
});

/**
 * Processes that end on the signals they do not withstand, a table of them, and a clock that
 * moves only when ending them waits. What each is sent is logged with the time.
 */
class World implements TreeEndIo {
  readonly self = 50;
  time = 0;
  readonly log: string[] = [];
  readonly rows = new Map<number, ProcessRow>();
  private readonly withstands = new Map<number, NodeJS.Signals[]>();
  /** Runs while ending waits: what the processes do meanwhile. */
  onSleep: (world: World) => void = () => {};
  tableReadable = true;

  spawn(pid: number, ppid: number, pgid: number, withstands: NodeJS.Signals[] = []): void {
    this.rows.set(pid, row(pid, ppid, pgid));
    this.withstands.set(pid, withstands);
  }

  async table(): Promise<ProcessRow[] | undefined> {
    return this.tableReadable ? [row(this.self, 1, this.self), ...this.rows.values()] : undefined;
  }

  signal(pid: number, signal: NodeJS.Signals): void {
    if (signal === 'SIGCONT') return void this.log.push(`${this.time} CONT ${pid}`);
    this.log.push(`${this.time} ${signal.slice(3)} ${pid}`);
    const targets = pid < 0 ? [...this.rows.values()].filter((r) => r.pgid === -pid) : [this.rows.get(pid)].filter((r) => r !== undefined);
    for (const target of targets) {
      if (this.withstands.get(target.pid)!.includes(signal)) continue;
      this.rows.delete(target.pid);
      // Its children are reparented; their groups stay.
      for (const child of this.rows.values()) if (child.ppid === target.pid) child.ppid = 1;
    }
  }

  async sleep(ms: number): Promise<void> {
    this.time += ms;
    this.onSleep(this);
  }

  now(): number {
    return this.time;
  }
}

describe('process tree: ending it', () => {
  const agent = { pid: 100, start: 's100' };

  it('each signal to every group and process; the next one at once when the agent has ended, else after the step', async () => {
    const world = new World();
    world.spawn(100, 50, 100);
    world.spawn(102, 100, 102, ['SIGINT']);
    world.spawn(104, 102, 104, ['SIGINT', 'SIGTERM']);
    assert.equal(await endProcessTree([agent], ['SIGINT', 'SIGTERM', 'SIGKILL'], 3000, world), true);
    const signals = world.log.filter((line) => !line.includes('CONT'));
    assert.deepEqual(signals, [
      '0 INT -100', '0 INT -102', '0 INT -104', '0 INT 100', '0 INT 102', '0 INT 104',
      // The agent ended on the interrupt: what it left is terminated at once…
      '10 TERM -102', '10 TERM -104', '10 TERM 102', '10 TERM 104',
      // …and what withstands that is killed when the step has passed.
      '3010 KILL -104', '3010 KILL 104',
    ]);
    assert.ok(world.log.includes('0 CONT 104') && !world.log.some((line) => line.startsWith('3010 CONT')), 'polite signals are followed by SIGCONT, SIGKILL is not');
  });

  it('what a member starts while ending waits is signalled too', async () => {
    const world = new World();
    world.spawn(100, 50, 100, ['SIGTERM']);
    world.onSleep = (w) => {
      if (w.rows.has(100) && !w.rows.has(110)) w.spawn(110, 100, 110, ['SIGTERM']);
    };
    assert.equal(await endProcessTree([agent], ['SIGTERM', 'SIGKILL'], 1000, world), true);
    assert.ok(world.log.includes('10 TERM 110'), world.log.join('\n'));
    assert.ok(world.log.some((line) => /KILL 110$/.test(line)));
  });

  it('says so when something outlives SIGKILL, and when the table cannot be read gives the root its group signals in turn', async () => {
    const world = new World();
    world.spawn(100, 50, 100, ['SIGKILL']);
    assert.equal(await endProcessTree([agent], ['SIGKILL'], 0, world), false);
    assert.ok(world.time >= 2000, 'SIGKILL is given its time');

    const blind = new World();
    blind.tableReadable = false;
    assert.equal(await endProcessTree([agent], ['SIGHUP', 'SIGKILL'], 500, blind), false);
    assert.deepEqual(blind.log.filter((line) => !line.includes('CONT')), ['0 HUP -100', '500 KILL -100']);
  });

  it('a record without a start time, or of nobody, ends nothing', async () => {
    const world = new World();
    world.spawn(100, 50, 100);
    assert.equal(await endProcessTree([{ pid: 100, start: undefined }], ['SIGKILL'], 0, world), true);
    assert.equal(await endProcessTree([{ pid: 100, start: 'another process' }], ['SIGKILL'], 0, world), true);
    assert.deepEqual(world.log, []);
  });
});
