import type { TerminalInfo } from '../../protocol/daemon.js';
import { HolderConnection, HolderGoneError } from '../../protocol/holder-client.js';
import { OrchestraError, UsageError } from '../core/errors.js';
import { describeExit } from '../core/exit-status.js';
import { DetachKeyMatcher, parseDetachKey } from './detach-key.js';
import { ScreenFilter } from './screen-filter.js';

export interface AttachOptions {
  readOnly?: boolean;
  /**
   * The terminal is on its alternate screen already and stays there afterwards (`orchestra
   * ui` attaching): neither entering nor leaving it, so the user's own screen never flashes by.
   */
  onAlternateScreen?: boolean;
  /** Keys typed before the attach had the terminal (right after Enter in the dashboard): sent first, as if typed now. */
  typeAhead?: string;
  /** Overrides the project's detach_key. */
  detachKey?: string;
}

/**
 * Every mode an app may have turned on in the user's terminal, turned off again: mouse
 * tracking and its encodings, bracketed paste, focus events, application cursor keys and
 * keypad, kitty keyboard flags, scroll region, cursor style and visibility, attributes.
 */
export const RESET_MODES =
  '\x1b[?9l\x1b[?1000l\x1b[?1001l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l\x1b[?1015l\x1b[?1016l' +
  '\x1b[?2004l\x1b[?1004l\x1b[?1l\x1b>\x1b[=0;1u\x1b[r\x1b[0 q\x1b[?6l\x1b[?7h\x1b[4l\x1b[0m\x1b[?25h';
/**
 * The alternate screen keeps the user's screen and scrollback safe while attached (unless
 * the caller is on it already); the title stack keeps the title.
 */
const enterSequence = (onAlternateScreen: boolean) => `\x1b[22;0t${onAlternateScreen ? '' : '\x1b[?1049h'}\x1b[H\x1b[2J`;
const leaveSequence = (onAlternateScreen: boolean) => `${RESET_MODES}${onAlternateScreen ? '' : '\x1b[?1049l'}\x1b[23;0t`;

/** How an attach ended: the line to show the person ("[detached from 3:fix-tests]") and the exit status. */
export interface AttachEnd {
  message: string;
  code: number;
  /** Whether any of the person's keys reached the agent (say, an answer to its question). */
  typed: boolean;
}

/**
 * `orchestra attach` (and Enter in `orchestra ui`): the user's terminal becomes the
 * agent's, in raw mode, showing the current screen at once; keys go to the agent, output
 * comes back, resizes follow, and the detach key leaves the agent running. Resolves once
 * the terminal is the user's again, saying how it ended.
 */
export async function attach(info: TerminalInfo, options: AttachOptions = {}): Promise<AttachEnd> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  if (!stdin.isTTY || !stdout.isTTY) {
    throw new UsageError(`attach needs a terminal; 'orchestra peek ${info.ref.split(':')[0]}' prints the screen instead.`);
  }
  const key = parseDetachKey(options.detachKey ?? info.detach_key);
  const matcher = new DetachKeyMatcher(key);
  const screens = new ScreenFilter(`${RESET_MODES}\x1b[H\x1b[2J`);
  let connection: HolderConnection;
  try {
    connection = await HolderConnection.open(info.socket, { role: options.readOnly ? 'readonly' : 'viewer', cols: stdout.columns, rows: stdout.rows });
  } catch (error) {
    if (error instanceof HolderGoneError) throw new OrchestraError(`Task ${info.ref}'s agent has just ended; 'orchestra logs ${info.ref.split(':')[0]}' says how.`);
    throw new OrchestraError(`Could not attach to task ${info.ref}: ${(error as Error).message}.`);
  }

  return new Promise<AttachEnd>((resolve) => {
    let finished = false;
    let typed = false;
    const finish = (message: string, code: number) => {
      if (finished) return;
      finished = true;
      clearTimeout(escapeTimer);
      stdin.removeListener('data', onInput);
      stdout.removeListener('resize', onResize);
      for (const signal of SIGNALS) process.removeListener(signal, onSignal);
      connection.close();
      stdout.write(leaveSequence(options.onAlternateScreen ?? false));
      stdin.setRawMode(false);
      stdin.pause();
      resolve({ message, code, typed });
    };
    const forward = (text: string) => {
      if (text.length === 0 || options.readOnly) return;
      connection.send({ t: 'input', data: Buffer.from(text, 'latin1') });
      typed = true;
    };
    let escapeTimer: NodeJS.Timeout | undefined;
    const onInput = (chunk: Buffer) => {
      clearTimeout(escapeTimer);
      // latin1 keeps one character per byte, so the split point is a byte offset.
      const { before, detach } = matcher.scan(chunk.toString('latin1'));
      forward(before);
      if (detach) finish(`[detached from ${info.ref}]`, 0);
      else if (matcher.holding) escapeTimer = setTimeout(() => forward(matcher.flush()), ESCAPE_TIME_MS);
    };
    const onResize = () => connection.send({ t: 'resize', cols: stdout.columns, rows: stdout.rows });
    const onSignal = () => finish(`[detached from ${info.ref}]`, 0);

    // Raw and on the alternate screen before the first frame is drawn: the snapshot may
    // have arrived together with the hello. Listening before the messages are read: an exit
    // that came with the hello finishes at once, and must find everything to undo.
    stdin.setRawMode(true);
    stdin.on('data', onInput);
    stdin.resume();
    stdout.on('resize', onResize);
    for (const signal of SIGNALS) process.on(signal, onSignal);
    stdout.write(enterSequence(options.onAlternateScreen ?? false));
    if (options.typeAhead) onInput(Buffer.from(options.typeAhead, 'utf8'));
    connection.onMessage((message) => {
      if (finished) return;
      switch (message.t) {
        case 'snapshot':
          // A catch-up snapshot drops what was half-read; a redraw's stream goes on from it.
          if (!message.continues) screens.reset();
          stdout.write(`\x1b[H\x1b[2J${message.data}`);
          return;
        case 'output':
          stdout.write(screens.filter(message.data));
          return;
        case 'exit':
          finish(`[the agent of ${info.ref} ended: ${describeExit(message)}]`, 0);
          return;
        case 'error':
          finish(`[task ${info.ref}'s holder refused the connection: ${message.message}]`, 1);
          return;
      }
    });
    connection.onClose(() => finish(`[lost the connection to task ${info.ref}]`, 1));
  });
}

const SIGNALS = ['SIGTERM', 'SIGHUP'] as const;
/** How long the start of an escape sequence waits for its rest before it is sent as typed. */
const ESCAPE_TIME_MS = 25;
