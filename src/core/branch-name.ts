/**
 * Branch names from task files and config, which travel with `git clone` and so are
 * untrusted: checked as `git check-ref-format --branch` checks them (and never starting
 * with '-', which git would read as an option), and handed to git only as full refs
 * (`refs/heads/<name>`) or after `--end-of-options`. Checked here rather than by running
 * git: `status` reads a hundred task files and must not start two hundred processes.
 */

/** Why `name` is not a branch name git would accept, or undefined when it is one. */
export function branchNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.startsWith('-')) return "it starts with '-'";
  if (name === 'HEAD' || name === '@') return `'${name}' is reserved`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return 'it holds a space, a control character or one of ~ ^ : ? * [ \\';
  if (name.includes('..')) return "it holds '..'";
  if (name.includes('@{')) return "it holds '@{'";
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return "it starts or ends with '/', or holds '//'";
  if (name.endsWith('.')) return "it ends with '.'";
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return "a part of it starts with '.'";
    if (part.endsWith('.lock')) return "a part of it ends with '.lock'";
  }
  return undefined;
}

/** The full ref of a branch, for git commands that take a revision: never an option, never another ref's short name. */
export function branchRef(name: string): string {
  const problem = branchNameProblem(name);
  // Values are checked when read; this is the last line of defence, and a bug if it fires.
  if (problem) throw new Error(`refusing to pass ${JSON.stringify(name)} to git as a branch: ${problem}`);
  return `refs/heads/${name}`;
}

/**
 * A branch name for the places git wants it short (to check it out, to delete it): checked,
 * and for use only after `--end-of-options` in the argument list.
 */
export function branchName(name: string): string {
  return branchRef(name).slice('refs/heads/'.length);
}
