import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backtrackingRisk } from '../../src/core/regex-risk.js';

describe('screen patterns that could freeze a holder', () => {
  it('are refused: nested unbounded repetition, backreferences, very long patterns', () => {
    for (const source of ['(a+)+$', '(a*)*b', '(\\w+\\s?)*$', '((ab)+x?)+', '(?:x+y?){2,}z', '(.*a){3,}']) {
      assert.match(backtrackingRisk(source) ?? '', /repeats without bound inside/, source);
    }
    assert.match(backtrackingRisk('(a)\\1')!, /backreference/);
    assert.match(backtrackingRisk('a'.repeat(501))!, /longer than 500/);
  });

  it("are accepted in the shapes screens need, the built-in profiles' among them", () => {
    for (const source of [
      '^Question: .*\\? >$',
      'Do you trust the files in this folder\\?|Is this a project you created or one you trust\\?',
      '\\(y/n\\) ?$',
      '(Allow|Deny) [a-z]+',
      '[(+*]+ working',
      '(ab)+c',
      '(a|b)?c+',
      'Esc to (interrupt|cancel)',
    ]) {
      assert.equal(backtrackingRisk(source), undefined, source);
    }
  });

  it('is what the config says when it refuses one', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { scratchDir } = await import('../../src/platform/runtime-dir.js');
    const { loadConfig, ConfigError } = await import('../../src/core/config.js');
    const root = mkdtempSync(join(scratchDir(), 'orch-regex-'));
    try {
      mkdirSync(join(root, '.orchestra'));
      writeFileSync(join(root, '.orchestra', 'config.yaml'), "agents:\n  slow: { command: [x], patterns: [{ match: '(a+)+$', status: running }] }\n");
      assert.throws(() => loadConfig(root, join(root, 'user')), (e: Error) => e instanceof ConfigError && /agents\.slow\.patterns\.0\.match is refused: a repeated group in it repeats without bound inside/.test(e.message));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
