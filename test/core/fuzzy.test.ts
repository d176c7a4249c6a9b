import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closestMatches, editDistance } from '../../src/core/fuzzy.js';

describe('closest matches', () => {
  it('measures edits, a swap of neighbours as one', () => {
    assert.equal(editDistance('stauts', 'status'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
  });

  it('finds typos, prefixes and substrings, closest first, and nothing far away', () => {
    assert.equal(closestMatches('stauts', ['show', 'start', 'status'])[0], 'status');
    assert.deepEqual(closestMatches('fix', ['add-docs', 'fix-tests']), ['fix-tests']);
    assert.deepEqual(closestMatches('zzzz', ['status', 'show']), []);
  });

  it('suggests nothing for a name longer than any name, without comparing it (it would cost length × length)', () => {
    const huge = 'fix-test'.repeat(400_000);
    assert.deepEqual(closestMatches(huge, ['fix-tests', 'add-docs']), []);
    assert.deepEqual(closestMatches('fix-tesst', ['fix-tests', huge]), ['fix-tests']);
  });
});
