import { spawnSync } from 'node:child_process';
import { OrchestraError } from '../core/errors.js';

/** The user's editor command: $VISUAL, then $EDITOR, then vi (as git does). */
export function editorCommand(): string {
  return process.env.VISUAL || process.env.EDITOR || 'vi';
}

/**
 * Opens `file` in the user's editor and waits for it to close. The editor variable may hold
 * arguments ("code --wait"), so it runs through the shell with the file as "$1".
 */
export function openEditor(file: string): void {
  const editor = editorCommand();
  const result = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, editor, file], { stdio: 'inherit' });
  if (result.error) throw new OrchestraError(`Cannot run the editor '${editor}': ${result.error.message}; set VISUAL or EDITOR.`);
  if (result.status !== 0) {
    throw new OrchestraError(`The editor '${editor}' exited with status ${result.status ?? result.signal}; ${file} is kept as it was.`);
  }
}
