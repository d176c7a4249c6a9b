import { readFileSync } from 'node:fs';

/** Orchestra's version, from package.json (two directories above dist/src/core/). */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
