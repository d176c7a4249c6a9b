import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskInfo } from '../../protocol/daemon.js';
import { visibleLength } from '../../src/cli/output.js';
import { listHeight, renderFrame, type FrameState } from '../../src/tui/layout.js';

const task = (id: number, extra: Partial<TaskInfo> = {}): TaskInfo => ({
  id,
  slug: `task-number-${id}-with-a-rather-long-slug`,
  ref: `${id}:task-number-${id}-with-a-rather-long-slug`,
  status: 'idle',
  base_branch: 'main',
  branch: null,
  worktree: null,
  agent: 'opencode',
  created: new Date().toISOString(),
  updated: new Date().toISOString(),
  exit_code: null,
  merged_commit: null,
  waiting: null,
  title: 'A title long enough to run past the right edge of an eighty column terminal, surely',
  project: '/home/someone/project',
  path: `/home/someone/project/.orchestra/tasks/${id}.md`,
  alive: true,
  viewers: 0,
  changes: null,
  ...extra,
});

const frame = (state: Partial<FrameState>): string[] =>
  renderFrame({
    cols: 80,
    rows: 24,
    color: false,
    project: '/home/someone/project',
    total: [],
    tasks: [],
    selected: 0,
    scroll: 0,
    filter: '',
    problems: [],
    status: undefined,
    help: false,
    // A preview cuts its lines to the pane (see Preview.lines); it may have more than fit.
    preview: (width, height) => ({ title: 'preview', lines: Array.from({ length: height + 5 }, (_, i) => `line ${i}`.padEnd(width, '=')) }),
    ...state,
  });

describe('the dashboard frame', () => {
  it('fills the terminal exactly, every row cut to its width', () => {
    const tasks = Array.from({ length: 30 }, (_, i) => task(i + 1, i === 3 ? { waiting: 'permission to use Bash', status: 'idle' } : i === 0 ? { title: '日本語のタイトルはとても長くて画面の端を越えてしまうかもしれません\tと\x1b[2Jタブ' } : {}));
    for (const [cols, rows] of [[80, 24], [120, 40], [40, 10]] as const) {
      const lines = frame({ cols, rows, total: tasks, tasks, selected: 3 });
      assert.equal(lines.length, rows);
      for (const line of lines) assert.ok(visibleLength(line) <= cols, `too wide at ${cols}: ${line}`);
      assert.ok(!lines.some((line) => /\t|\x1b\[2J/.test(line)), 'no tab or escape sequence from a title reaches the terminal');
    }
  });

  it('gives the list what it needs up to half the room, and scrolls it to the selection', () => {
    assert.equal(listHeight(24, 2), 2);
    assert.equal(listHeight(24, 30), 10);
    const tasks = Array.from({ length: 30 }, (_, i) => task(i + 1));
    const lines = frame({ total: tasks, tasks, selected: 25, scroll: 16 });
    assert.match(lines.find((line) => line.includes('›'))!, /›\s+26\s+task-number-26/);
    assert.doesNotMatch(lines[1]!, /AGENT/, 'no agent column at 80 columns');
    assert.ok(lines.some((line) => /^ +17 /.test(line.replace(/\x1b\[[0-9;]*m/g, ''))));
    assert.ok(!lines.some((line) => / 16 +task-number-16/.test(line)));
  });

  it('marks a waiting agent and says what it waits for; keeps the status line last', () => {
    const tasks = [task(1, { waiting: 'permission to use Bash' }), task(2, { status: 'completed', alive: false, changes: { ahead: 2, files: 3, conflicts: [] } })];
    const lines = frame({ total: tasks, tasks, status: { text: 'Started 1:x.', kind: 'info' } });
    assert.match(lines[2]!, /idle \?\s+●\s+now\s+waits for permission to use/);
    assert.match(lines[3]!, /completed.*\+2, 3 files, clean/);
    assert.equal(lines[23], 'Started 1:x.');
    assert.match(lines[0]!, /orchestra · project · 2 tasks: 1 idle, 1 completed, 1 waiting for you/);
    assert.match(lines[2]!, /task-number-1-with-…/, 'a long slug is cut in the list');
  });
});
