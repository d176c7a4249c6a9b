import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { isSameProcess, processStartTime, signalGroupOf, type StartTimeProbe } from '../../src/platform/process-identity.js';

const noPs = () => {
  throw new Error('ps is not asked on Linux');
};

describe('process identity (DESIGN.md §7.14)', () => {
  it('Linux: the start in ticks from /proc/<pid>/stat with the boot id, even when the name holds spaces and parentheses', () => {
    const files: Record<string, string> = {
      '/proc/4242/stat': '4242 (my (odd) agent) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615\n',
      '/proc/sys/kernel/random/boot_id': 'b0a7-1d\n',
    };
    const probe: StartTimeProbe = {
      readFile: (path) => {
        if (!(path in files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
        return files[path]!;
      },
      psStart: noPs,
    };
    assert.equal(processStartTime(4242, 'linux', probe), 'b0a7-1d:987654');
    assert.equal(processStartTime(4243, 'linux', probe), undefined, 'no such process');
  });

  it('macOS: ps -o lstart=, spaces folded; nothing when ps knows no such process', () => {
    const asked: number[] = [];
    const probe: StartTimeProbe = {
      readFile: () => {
        throw new Error('macOS has no /proc');
      },
      psStart: (pid) => {
        asked.push(pid);
        return pid === 501 ? 'Sat Nov 28  9:03:01 2026\n' : '';
      },
    };
    assert.equal(processStartTime(501, 'darwin', probe), 'Sat Nov 28 9:03:01 2026');
    assert.equal(processStartTime(502, 'darwin', probe), undefined);
    assert.deepEqual(asked, [501, 502]);
    assert.equal(processStartTime(0, 'darwin', probe), undefined, 'pid 0 (a record never filled) is nobody');
  });

  it('this machine: a live process has a start time that stays the same, and another process has another', async () => {
    const a = spawn('sleep', ['30']);
    const b = spawn('sleep', ['30']);
    try {
      const start = processStartTime(a.pid!);
      assert.ok(start);
      assert.equal(processStartTime(a.pid!), start);
      assert.ok(isSameProcess({ pid: a.pid!, start }));
      assert.equal(isSameProcess({ pid: b.pid!, start }), processStartTime(b.pid!) === start, 'compared, not assumed');
      assert.equal(isSameProcess({ pid: a.pid!, start: undefined }), false, 'a record without a start proves nothing');
    } finally {
      a.kill('SIGKILL');
      b.kill('SIGKILL');
    }
  });

  it('signals a group only while its leader is the process recorded', async () => {
    const stranger = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    try {
      const recorded = { pid: stranger.pid!, start: 'a start of another process' };
      assert.equal(signalGroupOf(recorded, 'SIGKILL'), false);
      assert.equal(stranger.exitCode, null);
      assert.equal(stranger.signalCode, null, 'the stranger lives');
      const exited = new Promise((resolve) => stranger.once('exit', (_code, signal) => resolve(signal)));
      assert.equal(signalGroupOf({ pid: stranger.pid!, start: processStartTime(stranger.pid!) }, 'SIGTERM'), true);
      assert.equal(await exited, 'SIGTERM');
    } finally {
      stranger.kill('SIGKILL');
    }
  });
});
