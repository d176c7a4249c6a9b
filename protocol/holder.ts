import { createRequire } from 'node:module';

// msgpackr's single-file CommonJS build without eval, through require: it loads in a
// quarter of the time of the package's ESM entry (~8 ms against ~30), and every attach,
// peek and holder start pays it.
const { Packr } = createRequire(import.meta.url)('msgpackr/index-no-eval') as typeof import('msgpackr');

/**
 * The holder protocol (protocol/README.md, DESIGN.md §6): what flows between a holder and
 * its clients (attach, peek, the daemon's supervision) on the holder's unix socket. Every
 * frame is a 4-byte big-endian length and one msgpack map with a string `t` (its type).
 * Both sides import this file and nothing else of each other.
 */

/** Bumped on any incompatible change; a peer with another version is refused. */
export const HOLDER_PROTOCOL_VERSION = 1;

/** Frames larger than this close the connection: no legitimate message is that big. */
export const MAX_FRAME_BYTES = 1024 * 1024;

/**
 * What a client is: a `viewer` sees the terminal and types into it; `readonly` only sees;
 * `preview` sees like readonly but is no person watching (`orchestra ui`'s preview pane):
 * it is not counted as a viewer, and gets a fresh snapshot whenever the terminal's size
 * changes; `control` streams nothing and asks for screens, stops and events (the daemon, `peek`).
 */
export const ROLES = ['viewer', 'readonly', 'preview', 'control'] as const;
export type Role = (typeof ROLES)[number];

/** The task a holder serves; written into its metadata file so a restarted daemon can find it. */
export interface HolderTask {
  id: number;
  slug: string;
  project: string;
}

/**
 * What the agent is doing, as the holder sees it on the screen (DESIGN.md §5's fallback) or
 * as the agent reports it: working, waiting for its next prompt, or waiting for a person's
 * answer to a question or permission.
 */
export const ACTIVITIES = ['running', 'idle', 'waiting'] as const;
export type Activity = (typeof ACTIVITIES)[number];

/** A screen pattern: a JavaScript regular expression (tried on every line, `m` flag) and what a match means. */
export interface ScreenPattern {
  match: string;
  status: Activity;
  /** What the agent waits for, said to the user; the matched text when absent. */
  reason?: string;
}

/** How the holder judges the agent's activity from its screen alone. */
export interface ActivitySpec {
  /** Milliseconds without a change on the screen after which the agent counts as idle. */
  idle_after_ms: number;
  /** Tried in order on the visible screen; the first match decides over screen changes. */
  patterns: ScreenPattern[];
}

export interface ExitStatus {
  /** The agent's exit code; null when a signal ended it. */
  code: number | null;
  /** The number of the signal that ended it, or null. */
  signal: number | null;
}

// ---- client → holder ----

export interface ClientHello {
  t: 'hello';
  version: number;
  role: Role;
  cols: number;
  rows: number;
}
/** Keys typed by a viewer (or sent by a controller), as raw bytes. */
export interface InputMessage {
  t: 'input';
  data: Uint8Array;
}
/**
 * Text to type as a person does (`orchestra send`): the holder sends it the way a terminal
 * would (a bracketed paste when the app turned that on; a single character or text with
 * control characters as keys) and, with `enter`, presses Enter as a key of its own once the
 * app has taken the text. Requests are typed one after the other; each is answered `typed`.
 */
export interface TypeMessage {
  t: 'type';
  id: number;
  text: string;
  enter: boolean;
}
export interface ResizeMessage {
  t: 'resize';
  cols: number;
  rows: number;
}
/** Asks for the current screen: text or with colours (`ansi`), plus `lines` of scrollback. */
export interface ScreenRequest {
  t: 'screen';
  id: number;
  lines: number;
  ansi: boolean;
}
/** Ends the agent: interrupt, terminate, kill (or kill at once with `force`). */
export interface StopRequest {
  t: 'stop';
  force: boolean;
}
export type ClientMessage = ClientHello | InputMessage | TypeMessage | ResizeMessage | ScreenRequest | StopRequest;

// ---- holder → client ----

export interface HolderHello {
  t: 'hello';
  version: number;
  pid: number;
  agent_pid: number;
  /** When the agent started (src/platform/process-identity.ts): its pid is signalled only while this matches. */
  agent_start?: string;
  task: HolderTask;
  agent: string;
  started: string;
  cols: number;
  rows: number;
  viewers: number;
  /** The holder takes `type` messages; holders from before them lack it. */
  typing?: boolean;
}
/** The screen as it is, to be written to a fresh terminal; live output follows it without gap or overlap. */
export interface SnapshotMessage {
  t: 'snapshot';
  data: string;
  cols: number;
  rows: number;
  /**
   * True when the output after this snapshot continues the output before it with nothing
   * left out (a redraw after the app switched screens): an escape sequence the client holds
   * half-read goes on in the next output. Absent for a first snapshot or after dropped output.
   */
  continues?: boolean;
}
export interface OutputMessage {
  t: 'output';
  data: Uint8Array;
}
export interface ScreenReply {
  t: 'screen';
  id: number;
  text: string;
}
/** The `type` request `id` is done: its text and Enter have been written. */
export interface TypedMessage {
  t: 'typed';
  id: number;
}
/** Sent to control clients whenever the number of viewers changes. */
export interface ViewersMessage {
  t: 'viewers';
  count: number;
}
/** What the agent does, what it waits for (if it does), and why the holder thinks so. */
export interface ActivityVerdict {
  state: Activity;
  /** For `waiting`: what the agent waits for (the pattern's reason); else empty. */
  reason: string;
  /** Why the holder thinks so, for the task's log: "the screen has not changed for 3 s" … */
  cause: string;
  /**
   * The screen shows it in words (one of the profile's patterns: a dialog, a turn's end
   * written out), as opposed to a guess from its stillness or motion. Absent from holders
   * before it was added: their verdicts count as guesses.
   */
  shown?: true;
}

/** Sent to control clients after hello and whenever the holder's verdict on the screen changes. */
export interface ActivityMessage extends ActivityVerdict {
  t: 'activity';
}
/** The agent exited; its last output has been sent before this. The holder closes next. */
export interface ExitMessage extends ExitStatus {
  t: 'exit';
}
/** The holder refuses the connection (wrong version, malformed frame) and closes it. */
export interface ErrorMessage {
  t: 'error';
  message: string;
}
export type HolderMessage = HolderHello | SnapshotMessage | OutputMessage | ScreenReply | TypedMessage | ViewersMessage | ActivityMessage | ExitMessage | ErrorMessage;

/**
 * How the daemon tells a new holder what to run: a JSON file, 0600, that the holder reads
 * and deletes at once (an agent's environment holds API keys).
 */
export interface HolderSpec {
  key: string;
  /** The holder's socket. */
  socket: string;
  /** The holder's metadata file (HolderMeta), next to the socket. */
  meta: string;
  command: string[];
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
  scrollback: number;
  task: HolderTask;
  agent: string;
  activity: ActivitySpec;
  /** How often the holder renews its socket and metadata file, which /tmp cleaners remove when they look unused (default DEFAULT_HOLDER_REFRESH_MS). */
  refresh_ms?: number;
}

/** Cleaners remove what has not been touched for days (macOS: 3, systemd-tmpfiles: 10); renewing twice an hour is plenty. */
export const DEFAULT_HOLDER_REFRESH_MS = 30 * 60_000;

/**
 * `holders/<key>.json`: written by the holder once it serves, and updated with `exit` when
 * the agent has exited, so a daemon that was down at the time still learns the exit status.
 */
export interface HolderMeta {
  protocol: number;
  key: string;
  pid: number;
  agent_pid: number;
  /** When the agent started; records without it (older holders) never lead to a signal. */
  agent_start?: string;
  task: HolderTask;
  agent: string;
  started: string;
  exit: ExitStatus | null;
}

/**
 * How the holder leaves the agent's last screen in the task's log (its stdout) when the
 * agent exits, so that the screen can be read after the holder has gone (`orchestra ui`
 * shows it for a stopped task).
 */
export const LAST_SCREEN_START = "--- the agent's last screen ---";
export const LAST_SCREEN_END = '--- end of screen ---';

// ---- framing ----

// Uint8Arrays go out as msgpack bin and come back as Buffers; maps come back as plain objects.
const packr = new Packr({ useRecords: false, moreTypes: false });

export function encodeFrame(message: ClientMessage | HolderMessage): Buffer {
  const body = packr.pack(message);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** A frame that cannot be accepted; the connection that sent it is closed. */
export class FrameError extends Error {}

/**
 * Splits a byte stream into messages. Throws FrameError for an oversized or undecodable
 * frame; the caller closes the connection.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Array<Record<string, unknown> & { t: string }> {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const messages: Array<Record<string, unknown> & { t: string }> = [];
    while (this.buffered >= 4) {
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) throw new FrameError(`a frame of ${length} bytes, over the limit of ${MAX_FRAME_BYTES}`);
      if (this.buffered < 4 + length) break;
      const frame = this.take(4 + length).subarray(4);
      let message: unknown;
      try {
        message = packr.unpack(frame);
      } catch {
        throw new FrameError('a frame that is not msgpack');
      }
      if (typeof message !== 'object' || message === null || typeof (message as { t?: unknown }).t !== 'string') {
        throw new FrameError('a frame that is not a map with a type');
      }
      messages.push(message as Record<string, unknown> & { t: string });
    }
    return messages;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const taken = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return taken;
  }
}

// ---- validation of what a holder receives ----

/** Larger than any real terminal, small enough that a screen of it costs little. */
export const MAX_COLS = 1000;
export const MAX_ROWS = 500;
const isCols = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0 && (n as number) <= MAX_COLS;
const isRows = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0 && (n as number) <= MAX_ROWS;

/**
 * Checks a decoded client message. Unknown types give undefined (ignored, for forward
 * compatibility); a known type with wrong fields throws FrameError.
 */
export function parseClientMessage(raw: Record<string, unknown> & { t: string }): ClientMessage | undefined {
  const bad = (what: string): never => {
    throw new FrameError(`a '${raw.t}' message ${what}`);
  };
  switch (raw.t) {
    case 'hello':
      if (typeof raw.version !== 'number') bad('without a version');
      if (!(ROLES as readonly unknown[]).includes(raw.role)) bad(`with role ${String(raw.role)}; roles are ${ROLES.join(', ')}`);
      if (!isCols(raw.cols) || !isRows(raw.rows)) bad(`without a valid size (at most ${MAX_COLS}×${MAX_ROWS})`);
      return raw as unknown as ClientHello;
    case 'input':
      if (!(raw.data instanceof Uint8Array) && typeof raw.data !== 'string') bad('without data');
      return { t: 'input', data: typeof raw.data === 'string' ? Buffer.from(raw.data) : raw.data as Uint8Array };
    case 'type':
      if (typeof raw.id !== 'number') bad('without an id');
      if (typeof raw.text !== 'string') bad('without text');
      return { t: 'type', id: raw.id as number, text: raw.text as string, enter: raw.enter === true };
    case 'resize':
      if (!isCols(raw.cols) || !isRows(raw.rows)) bad(`without a valid size (at most ${MAX_COLS}×${MAX_ROWS})`);
      return raw as unknown as ResizeMessage;
    case 'screen':
      if (typeof raw.id !== 'number') bad('without an id');
      return { t: 'screen', id: raw.id as number, lines: Number.isInteger(raw.lines) ? Math.max(0, raw.lines as number) : 0, ansi: raw.ansi === true };
    case 'stop':
      return { t: 'stop', force: raw.force === true };
    default:
      return undefined;
  }
}
