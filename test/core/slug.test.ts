import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_MESSAGE_CHARS, UsageError } from '../../src/core/errors.js';
import { assertValidSlug, isValidSlug, slugify } from '../../src/core/slug.js';

describe('slugs', () => {
  it('accepts lowercase letters, digits and dashes starting with a letter or digit, up to 64', () => {
    for (const slug of ['fix-tests', 'a', '3d-render', 'x'.repeat(64), 'a--b']) assert.ok(isValidSlug(slug), slug);
  });

  it('refuses everything else', () => {
    for (const slug of ['', '-a', 'Fix', 'a_b', 'a b', 'é', 'x'.repeat(65), '42', 'a:b', 'a/b', 'a.md']) assert.ok(!isValidSlug(slug), slug);
  });

  it('explains the rule with a usable suggestion, as a usage error', () => {
    assert.throws(() => assertValidSlug('Fix Tests!'), (e: Error) => e instanceof UsageError && /try 'fix-tests'/.test(e.message));
    assert.throws(() => assertValidSlug('42'), /only digits would read as a task id/);
  });

  it('slugifies free text', () => {
    assert.equal(slugify('  Crème Brûlée: the REMIX '), 'creme-brulee-the-remix');
    assert.equal(slugify('!!!'), '');
  });
});

describe('a refusal of a huge slug', () => {
  it('quotes no more than a person reads', () => {
    const huge = 'A'.repeat(7_000_000);
    assert.throws(() => assertValidSlug(huge), (error: Error) => error.message.length < MAX_MESSAGE_CHARS + 100 && /… \(cut: \d+ characters in all\)$/.test(error.message));
  });
});
