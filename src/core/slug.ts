import { UsageError } from './errors.js';

export const MAX_SLUG_LENGTH = 64;
const SLUG = /^[a-z0-9][a-z0-9-]*$/;

/** Whether `slug` is a valid task slug (DESIGN.md §2). All-digit slugs are refused: they would read as ids. */
export function isValidSlug(slug: string): boolean {
  return SLUG.test(slug) && slug.length <= MAX_SLUG_LENGTH && !/^\d+$/.test(slug);
}

/** Throws a UsageError that explains the rule and proposes a valid slug when one can be made. */
export function assertValidSlug(slug: string): void {
  if (isValidSlug(slug)) return;
  if (/^\d+$/.test(slug)) {
    throw new UsageError(`'${slug}' is not a valid slug: a slug of only digits would read as a task id; add a word, e.g. 'task-${slug}'.`);
  }
  const suggestion = slugify(slug);
  const hint = suggestion && suggestion !== slug ? `; try '${suggestion}'` : '';
  throw new UsageError(
    `'${slug}' is not a valid slug: use lowercase letters, digits and dashes, starting with a letter or digit, at most ${MAX_SLUG_LENGTH} characters${hint}.`,
  );
}

/** Best-effort conversion of free text into a slug ('Fix the Tests!' → 'fix-the-tests'). */
export function slugify(text: string): string {
  const slug = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/, '');
  return isValidSlug(slug) ? slug : '';
}
