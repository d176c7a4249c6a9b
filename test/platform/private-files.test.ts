import assert from 'node:assert/strict';
import { chmodSync, closeSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appendPrivateFile, makePrivateDir, openPrivateFile, writePrivateFile } from '../../src/platform/private-files.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

const modeOf = (path: string) => (lstatSync(path).mode & 0o777).toString(8);

describe('private files and directories', () => {
  let dir: string;
  let umask: number;
  before(() => {
    // The usual umask, which leaves what is made without a mode readable by everyone.
    umask = process.umask(0o022);
    dir = mkdtempSync(join(scratchDir(), 'orch-private-'));
  });
  after(() => {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes a directory and its missing parents 0700, saying nothing', () => {
    const deep = join(dir, 'made', 'a', 'b');
    assert.equal(makePrivateDir(deep), undefined);
    for (const path of [join(dir, 'made'), join(dir, 'made', 'a'), deep]) assert.equal(modeOf(path), '700', path);
    assert.equal(makePrivateDir(deep), undefined, 'there already: nothing to do');
  });

  it('tightens a directory of the user that others may enter, and says so', () => {
    const old = join(dir, 'old');
    mkdirSync(old);
    chmodSync(old, 0o755);
    assert.equal(makePrivateDir(old), `made ${old} private (mode 700; it was 755, as an older Orchestra made it)`);
    assert.equal(modeOf(old), '700');
    assert.equal(makePrivateDir(old), undefined, 'said once');
  });

  it('leaves a symlink to a directory, and what it points to, as they are: the user put it there', () => {
    const target = join(dir, 'elsewhere');
    mkdirSync(target);
    chmodSync(target, 0o755);
    symlinkSync(target, join(dir, 'linked'));
    assert.equal(makePrivateDir(join(dir, 'linked')), undefined);
    assert.equal(modeOf(target), '755');
  });

  it('creates files 0600 and tightens ones made wider, whether written whole, appended to or opened', () => {
    const written = join(dir, 'projects.json');
    writeFileSync(written, 'old\n', { mode: 0o644 });
    writePrivateFile(written, 'new\n');
    assert.deepEqual([readFileSync(written, 'utf8'), modeOf(written)], ['new\n', '600']);
    assert.ok(!readdirSync(dir).some((name) => name.endsWith('.tmp')), 'no temporary file left');

    const appended = join(dir, 'daemon.log');
    writeFileSync(appended, 'one\n', { mode: 0o644 });
    appendPrivateFile(appended, 'two\n');
    assert.deepEqual([readFileSync(appended, 'utf8'), modeOf(appended)], ['one\ntwo\n', '600']);

    const fresh = join(dir, 'task.log');
    closeSync(openPrivateFile(fresh, 'a'));
    assert.equal(modeOf(fresh), '600');
  });

  it('never changes what is not a regular file, such as a log pointed at /dev/null', () => {
    const before = statSync('/dev/null').mode;
    closeSync(openPrivateFile('/dev/null', 'a'));
    assert.equal(statSync('/dev/null').mode, before);
  });
});
