import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergedAway, startRefusal } from '../../src/core/merged-away.js';

describe('a task merge --cleanup finished with', () => {
  const merged = { slug: 'tidy', base_branch: 'main', branch: null, merged_commit: '0cc98c4aed8f0cc98c4aed8f0cc98c4aed8f0cc9' };

  it('says it was merged, as which commit, and that its branch and worktree were removed', () => {
    assert.equal(mergedAway('1:tidy', merged), 'Task 1:tidy was merged into main as 0cc98c4aed8f, and its branch and worktree removed (merge --cleanup)');
  });

  it('is no such task while it has a branch (merged without --cleanup) or was never merged', () => {
    assert.equal(mergedAway('1:tidy', { ...merged, branch: 'orchestra/1-tidy' }), null);
    assert.equal(mergedAway('1:tidy', { ...merged, merged_commit: null }), null);
    assert.equal(startRefusal('1:tidy', { ...merged, merged_commit: null }), null, 'a draft starts');
  });

  it('is not started again: more work is a new task', () => {
    assert.equal(
      startRefusal('1:tidy', merged),
      "Task 1:tidy was merged into main as 0cc98c4aed8f, and its branch and worktree removed (merge --cleanup), so it is done; for more work on it, create a new task with 'orchestra new <slug>'.",
    );
  });
});
