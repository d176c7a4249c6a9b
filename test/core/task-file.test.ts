import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTaskFile, renderTaskFile, TaskFileError, updateFrontMatter } from '../../src/core/task-file.js';

const ODD = `---
# a comment a person wrote
base_branch:   main    # trailing comment
status: draft
priority:  { level: high,  tags: [a,b] }
quoted: 'single'
empty:
multi: |
  line one
  line two
---
Analyse the errors in \`./src/utils/date.test.ts\`…

  indented line, trailing spaces   
no final newline`;

describe('task files', () => {
  it('parses front matter and keeps the body as written', () => {
    const { data, body } = parseTaskFile(ODD);
    assert.equal(data.base_branch, 'main');
    assert.equal(data.status, 'draft');
    assert.deepEqual(data.priority, { level: 'high', tags: ['a', 'b'] });
    assert.equal(body, ODD.slice(ODD.indexOf('Analyse')));
  });

  it('changes only the values of the keys it changes, byte for byte elsewhere', () => {
    const updated = updateFrontMatter(ODD, { status: 'running', branch: 'orchestra/3-fix' });
    const expected = ODD.replace('status: draft', 'status: running').replace('  line two\n---', '  line two\nbranch: orchestra/3-fix\n---');
    assert.equal(updated, expected);
  });

  it('keeps a trailing comment when it replaces a value', () => {
    const updated = updateFrontMatter(ODD, { base_branch: 'develop' });
    assert.match(updated, /^base_branch: {3}develop {4}# trailing comment$/m);
  });

  it('fills a key that has no value and removes keys', () => {
    const updated = updateFrontMatter(ODD, { empty: 'now', quoted: undefined, multi: undefined });
    assert.match(updated, /^empty: now$/m);
    assert.doesNotMatch(updated, /quoted|multi|line one/);
    assert.equal(updated.slice(updated.indexOf('Analyse')), ODD.slice(ODD.indexOf('Analyse')));
  });

  it('quotes values YAML would misread and writes numbers and null plainly', () => {
    const updated = updateFrontMatter('---\nstatus: draft\n---\nbody\n', { branch: 'yes', worktree: 'a: b', exit_code: 3, merged_commit: null });
    const { data } = parseTaskFile(updated);
    assert.equal(data.branch, 'yes');
    assert.equal(data.worktree, 'a: b');
    assert.equal(data.exit_code, 3);
    assert.equal(data.merged_commit, null);
  });

  it('round-trips a value with a newline in it', () => {
    const updated = updateFrontMatter('---\nstatus: draft\n---\n', { agent: 'two\nlines' });
    assert.equal(parseTaskFile(updated).data.agent, 'two\nlines');
  });

  it('treats a file without front matter as all description, and adds front matter on update', () => {
    assert.deepEqual(parseTaskFile('Just text\n'), { data: {}, body: 'Just text\n' });
    const updated = updateFrontMatter('Just text\n', { status: 'completed' });
    assert.equal(updated, '---\nstatus: completed\n---\nJust text\n');
  });

  it('keeps a byte order mark and CRLF line endings', () => {
    const text = '\uFEFF---\r\nstatus: draft\r\nother: x\r\n---\r\nbody\r\n';
    const updated = updateFrontMatter(text, { status: 'idle' });
    assert.equal(updated, text.replace('draft', 'idle'));
  });

  it('reads CRLF files without keeping the \\r in values', () => {
    assert.equal(parseTaskFile('---\r\nstatus: idle\r\n---\r\nbody\r\n').data.status, 'idle');
  });

  it('refuses to change front matter it cannot edit in place, rather than corrupt it', () => {
    const flow = '---\n{status: draft, base_branch: main}\n---\nbody\n';
    assert.throws(() => updateFrontMatter(flow, { status: 'completed' }), /write one key per line/);
  });

  it('reports broken files with a reason', () => {
    assert.throws(() => parseTaskFile('---\nstatus: [unclosed\n---\n'), (e: Error) => e instanceof TaskFileError && /^invalid YAML in the front matter at line 2: /.test(e.message));
    assert.throws(() => parseTaskFile('---\nstatus: draft\nno end\n'), /no closing ---/);
    assert.throws(() => parseTaskFile('---\n- a\n- b\n---\n'), /not a list of "key: value" lines/);
  });

  it('renders a new file that parses back', () => {
    const text = renderTaskFile({ base_branch: 'main', status: 'draft', created: '2026-11-24T10:00:00.000Z' }, 'Do it');
    assert.equal(text, '---\nbase_branch: main\nstatus: draft\ncreated: 2026-11-24T10:00:00.000Z\n---\n\nDo it\n');
    assert.equal(parseTaskFile(text).data.created, '2026-11-24T10:00:00.000Z');
  });
});
