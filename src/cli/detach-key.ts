import { UsageError } from '../core/errors.js';

/**
 * The detach key of `attach` (DESIGN.md §7.1). A terminal sends ctrl-\ as the byte 0x1c,
 * or — once an app such as OpenCode turns on the kitty keyboard protocol — as `CSI 92;5u`,
 * or with modifyOtherKeys as `CSI 27;5;92~`. All three detach; none inside a bracketed
 * paste; the key itself never reaches the agent.
 */

export interface DetachKey {
  /** The key as written in config, for messages. */
  name: string;
  /** The control byte (ctrl-\ = 0x1c). */
  byte: number;
  /** The unmodified key's code point (ctrl-\ = 92). */
  codepoint: number;
}

/** `ctrl-<key>` for the keys that have a control byte; "none" gives undefined (no detach key). */
export function parseDetachKey(text: string): DetachKey | undefined {
  const name = text.trim().toLowerCase();
  if (name === 'none') return undefined;
  const match = /^(?:ctrl|c|control)[-+](.)$/.exec(name) ?? /^\^(.)$/.exec(name);
  const key = match?.[1];
  if (key !== undefined) {
    const upper = key.toUpperCase().charCodeAt(0);
    // ctrl-[ is ESC, which starts every arrow key and escape sequence.
    if (upper >= 0x40 && upper <= 0x5f && upper !== 0x5b) return { name: `ctrl-${key}`, byte: upper - 0x40, codepoint: key.charCodeAt(0) };
  }
  throw new UsageError(`'${text}' is not a detach key; use ctrl-<key> with a letter or one of @ \\ ] ^ _ (such as ctrl-\\ or ctrl-]), or none.`);
}

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

/** An escape sequence cut off at the end of a read: ESC, or CSI without its final byte. */
const UNFINISHED = /\x1b(?:\[[\d;:]*)?$/;

/**
 * Finds the detach key in what the user types, across reads, and never inside a paste. A
 * sequence split between two reads (a paste marker, a kitty key) is held back until the
 * rest arrives, or until `flush` (a short timeout, as tmux's escape-time: a lone ESC is a
 * key too).
 */
export class DetachKeyMatcher {
  private pasting = false;
  private held = '';

  constructor(private readonly key: DetachKey | undefined) {}

  /** Whether bytes are held back, waiting for the rest of a sequence. */
  get holding(): boolean {
    return this.held !== '';
  }

  /**
   * Splits input at the detach key: `before` goes to the agent, and `detach` says whether
   * the key was pressed (anything after it is dropped with it).
   */
  scan(chunk: string): { before: string; detach: boolean } {
    if (!this.key) return { before: chunk, detach: false };
    const text = this.held + chunk;
    this.held = '';
    for (let i = 0; i < text.length; i++) {
      if (text.startsWith(PASTE_START, i)) this.pasting = true;
      else if (text.startsWith(PASTE_END, i)) this.pasting = false;
      if (this.pasting && !text.startsWith('\x1b', i)) continue;
      if (!this.pasting) {
        const length = this.match(text, i);
        if (length > 0) return { before: text.slice(0, i), detach: true };
      }
      if (text.charCodeAt(i) === 0x1b && UNFINISHED.test(text.slice(i))) {
        this.held = text.slice(i);
        return { before: text.slice(0, i), detach: false };
      }
    }
    return { before: text, detach: false };
  }

  /** Gives up waiting: the held bytes were not the start of a longer sequence. */
  flush(): string {
    const held = this.held;
    this.held = '';
    return held;
  }

  /** The length of the detach key's encoding at `i`, or 0. */
  private match(chunk: string, i: number): number {
    const key = this.key!;
    if (chunk.charCodeAt(i) === key.byte) return 1;
    if (!chunk.startsWith('\x1b[', i)) return 0;
    const rest = chunk.slice(i);
    // kitty: CSI codepoint[:alternates] ; modifiers[:event] u — a press (1) or repeat (2), never a release (3).
    const kitty = /^\x1b\[(\d+)(?::\d+)*;(\d+)(?::(\d+))?u/.exec(rest);
    if (kitty && Number(kitty[1]) === key.codepoint && isCtrlOnly(Number(kitty[2])) && (kitty[3] ?? '1') !== '3') return kitty[0].length;
    const other = /^\x1b\[27;(\d+);(\d+)~/.exec(rest);
    if (other && Number(other[2]) === key.codepoint && isCtrlOnly(Number(other[1]))) return other[0].length;
    return 0;
  }
}

/** Modifier parameter (1 + bits) means ctrl, with caps lock and num lock ignored. */
function isCtrlOnly(parameter: number): boolean {
  const bits = (parameter - 1) & ~(64 | 128);
  return bits === 4;
}
