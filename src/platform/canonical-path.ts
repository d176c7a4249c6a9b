import { realpathSync } from 'node:fs';

/**
 * A path in its on-disk form: links resolved and, on a case-insensitive file system (APFS
 * and HFS+, macOS's default), every name in the case it has on disk, so that one directory
 * reached as ~/Src/App, ~/src/app or through a link is one project with one store and one
 * set of holder keys. realpath(3) does that; Node's JavaScript realpathSync keeps the case
 * it was given. Throws as realpath does when the path does not exist.
 */
export function canonicalPath(path: string): string {
  return realpathSync.native(path);
}
