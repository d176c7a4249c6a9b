import { setTimeout as delay } from 'node:timers/promises';

/**
 * Types text into the agent as a person at a terminal does (DESIGN.md §7.11): the text the
 * way their terminal would send it, then Enter as a key of its own once the app has taken
 * the text. Text and Enter in one read are a paste to apps such as Claude Code, which then
 * take the Enter for a newline in their input box instead of a submit.
 */

/** What the app asked of the terminal that changes how keys and pastes reach it. */
export interface InputModes {
  /** DECSET 2004: the app wants pasted text between PASTE_START and PASTE_END. */
  bracketedPaste: boolean;
  /** The kitty keyboard flags in force (8: every key as an escape code, Enter too). */
  keyboardFlags: number;
}

export const PASTE_START = '\x1b[200~';
export const PASTE_END = '\x1b[201~';

/** After the app last drew in answer to the text, this long without output means it has taken the text. */
export const SETTLE_MS = 100;
/** The longest Enter waits for the app to take the text: an app that draws nothing, or never stops drawing, gets it then. */
export const TAKE_LIMIT_MS = 2000;
/** How often the wait looks again: the PTY's input queue announces nothing. */
export const TAKE_POLL_MS = 20;

/**
 * What a person's terminal sends for `text`. Keys — a single character, or text with
 * control characters (Esc, arrows, ^C) — go as they are: a paste would disarm them. Other
 * text is a paste: between PASTE_START and PASTE_END when the app has bracketed paste on,
 * with line breaks as CR as terminals paste them, so that it is one prompt however many
 * lines it has; without bracketed paste, line breaks go as LF (Ctrl+J), the key that
 * starts a new line in an agent's input box without submitting it (to a program reading
 * lines in a cooked terminal, LF and Enter are the same).
 */
export function typedBytes(text: string, modes: InputModes): string {
  if (isKeys(text)) return text;
  const lines = text.split(/\r\n|\r|\n/);
  return modes.bracketedPaste ? `${PASTE_START}${lines.join('\r')}${PASTE_END}` : lines.join('\n');
}

/** Enter as a person's terminal sends it: CR, or its kitty code when the app asked for every key as one. */
export function enterKey(modes: InputModes): string {
  return modes.keyboardFlags & 8 ? '\x1b[13u' : '\r';
}

function isKeys(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return [...text].length === 1 || /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text);
}

/**
 * Whether the app has taken text written at `written`: the PTY holds none of it any more,
 * and the app has drawn since (its echo of the text) and then rested for SETTLE_MS; or
 * TAKE_LIMIT_MS have passed, whatever the app did.
 */
export function textTaken(now: number, written: number, lastOutput: number | undefined, inputQueued: number): boolean {
  if (now - written >= TAKE_LIMIT_MS) return true;
  return inputQueued === 0 && lastOutput !== undefined && now - lastOutput >= SETTLE_MS;
}

/** Where the typist types. */
export interface TypingTarget {
  write(data: string): void;
  /** Bytes written that the app has not read yet. */
  inputQueued(): number;
  /** The app's modes, once every byte it wrote so far has been parsed. */
  inputModes(): Promise<InputModes>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const systemClock: Clock = { now: () => Date.now(), sleep: (ms) => delay(ms, undefined, { ref: false }) };

/**
 * Types requests one after the other, in the order asked. Each write waits until the app
 * has taken the one before, so that two senders' texts, or an Enter and the next text,
 * never reach the app in one read.
 */
export class Typist {
  private chain: Promise<void> = Promise.resolve();
  private waitingTexts = 0;
  private waitingBytes = 0;
  /** Resolves once the app has taken the last write. */
  private lastTaken: Promise<void> = Promise.resolve();
  /** While the typist waits for the app to take a write: when the app last wrote output. */
  private watch: { lastOutput: number | undefined } | undefined;

  constructor(
    private readonly target: TypingTarget,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Requests asked and not yet done. */
  get waiting(): number {
    return this.waitingTexts;
  }

  /** Bytes of text asked and not yet written. */
  get bytesWaiting(): number {
    return this.waitingBytes;
  }

  /**
   * Types `text`, then, with `enter`, presses Enter once the app has taken it; resolves once
   * the last of it is written (and, for a text without Enter, taken).
   */
  type(text: string, enter: boolean): Promise<void> {
    const bytes = Buffer.byteLength(text);
    this.waitingTexts++;
    this.waitingBytes += bytes;
    const done = this.chain.then(() => this.run(text, enter, bytes));
    this.chain = done.catch(() => {}).finally(() => this.waitingTexts--);
    return done;
  }

  /** The app wrote output. */
  outputArrived(): void {
    if (this.watch) this.watch.lastOutput = this.clock.now();
  }

  private async run(text: string, enter: boolean, bytes: number): Promise<void> {
    if (text !== '') {
      await this.write(async () => typedBytes(text, await this.target.inputModes()));
      this.waitingBytes -= bytes;
      await this.lastTaken;
    }
    if (enter) await this.write(async () => enterKey(await this.target.inputModes()));
  }

  /** Writes what `bytes` gives once the app has taken the last write, and watches for the app to take this one. */
  private async write(bytes: () => Promise<string>): Promise<void> {
    await this.lastTaken;
    const data = await bytes();
    const watch = (this.watch = { lastOutput: undefined });
    this.target.write(data);
    const written = this.clock.now();
    this.lastTaken = (async () => {
      while (!textTaken(this.clock.now(), written, watch.lastOutput, this.target.inputQueued())) await this.clock.sleep(TAKE_POLL_MS);
      this.watch = undefined;
    })();
  }
}
