/**
 * How much a program may be given when it starts (its arguments and environment), per
 * platform: a task's description becomes an agent's prompt, and a prompt is an argument.
 * - Linux: one string at most MAX_ARG_STRLEN (32 pages, 128 KiB), all of them together at
 *   most ARG_MAX (a quarter of the stack limit: 2 MiB with the usual 8 MiB stack).
 * - macOS: no limit per string; all together at most ARG_MAX, 1 MiB (kern.argmax).
 * - Others (the BSDs): ARG_MAX is 256 KiB on FreeBSD; assumed for the rest.
 */
export interface ExecLimits {
  /** Bytes one argument or environment string may have, with its terminating NUL. */
  perString: number | undefined;
  /** Bytes all arguments and environment strings may have together, with their NULs and pointers. */
  total: number;
}

export function execLimits(platform: NodeJS.Platform = process.platform): ExecLimits {
  if (platform === 'linux') return { perString: 128 * 1024, total: 2 * 1024 * 1024 };
  if (platform === 'darwin') return { perString: undefined, total: 1024 * 1024 };
  return { perString: undefined, total: 256 * 1024 };
}

/**
 * Whether `text` fits a command line as one argument with room to spare: at most an eighth of
 * what all of them may take together, so that the environment (API keys, PATH) fits beside it.
 */
export function fitsOneArgument(text: string, limits: ExecLimits = execLimits()): boolean {
  const bytes = Buffer.byteLength(text) + 1;
  return bytes <= Math.min(limits.perString ?? Infinity, limits.total / 8);
}

/**
 * What starting `argv` with `env` costs against the limits, and which string is too long, if
 * one is: undefined when it fits.
 */
export function execOverflow(argv: string[], env: Record<string, string>, limits: ExecLimits = execLimits()): string | undefined {
  const strings = [...argv, ...Object.entries(env).map(([name, value]) => `${name}=${value}`)];
  const pointer = 8;
  let total = 0;
  for (const string of strings) {
    const bytes = Buffer.byteLength(string) + 1;
    if (limits.perString !== undefined && bytes > limits.perString) {
      const what = argv.includes(string) ? 'an argument' : `the environment variable ${string.slice(0, string.indexOf('='))}`;
      return `${what} is ${bytes} bytes, and this system takes at most ${limits.perString} in one`;
    }
    total += bytes + pointer;
  }
  return total > limits.total ? `its arguments and environment come to ${total} bytes, and this system takes at most ${limits.total}` : undefined;
}
