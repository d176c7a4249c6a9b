/**
 * Keeps the agent's output from taking the user's terminal off the alternate screen that
 * attach shows it on. The agent's own switches between its main and alternate screen
 * (`CSI ? 1049/1047/47 h/l`) are removed — the holder follows each with a fresh snapshot of
 * the screen the agent switched to — and a full reset (`ESC c`), which would also leave the
 * alternate screen, becomes "modes off, screen cleared". Sequences cut by a read are held
 * until their rest arrives.
 */
export class ScreenFilter {
  private held: Buffer | undefined;

  constructor(private readonly resetReplacement: string) {}

  filter(bytes: Uint8Array): Buffer {
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const data = this.held ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = undefined;
    // The common case, checked natively: no sequence of interest and no cut escape at the end.
    let next = firstOfInterest(data, 0);
    if (next < 0) {
      const tail = unfinishedTail(data);
      if (tail === data.length) return data;
      this.held = data.subarray(tail);
      return data.subarray(0, tail);
    }
    const parts: Buffer[] = [];
    let from = 0;
    while (next >= 0) {
      if (data[next + 1] === C) {
        parts.push(data.subarray(from, next), Buffer.from(this.resetReplacement));
        from = next + 2;
      } else {
        const end = privateModeEnd(data, next);
        if (end < 0) break;
        const final = data[end - 1];
        if (final === H || final === L) {
          const params = data.toString('latin1', next + 3, end - 1).split(';');
          const kept = params.filter((param) => !SCREEN_MODES.has(param));
          if (kept.length !== params.length) {
            parts.push(data.subarray(from, next));
            if (kept.length > 0) parts.push(Buffer.from(`\x1b[?${kept.join(';')}${String.fromCharCode(final)}`, 'latin1'));
            from = end;
          }
        }
      }
      next = firstOfInterest(data, Math.max(from, next + 1));
    }
    const tail = Math.max(from, unfinishedTail(data));
    parts.push(data.subarray(from, tail));
    if (tail < data.length) this.held = data.subarray(tail);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** After a snapshot that skipped output: what was held belongs to output that never comes. */
  reset(): void {
    this.held = undefined;
  }
}

const ESC = 0x1b;
const C = 0x63;
const H = 0x68;
const L = 0x6c;
const SCREEN_MODES = new Set(['47', '1047', '1049']);
const PRIVATE_CSI = Buffer.from('\x1b[?', 'latin1');
const RESET = Buffer.from('\x1bc', 'latin1');

function firstOfInterest(data: Buffer, from: number): number {
  const csi = data.indexOf(PRIVATE_CSI, from);
  const reset = data.indexOf(RESET, from);
  if (csi < 0) return reset;
  if (reset < 0) return csi;
  return Math.min(csi, reset);
}

/** The end (after the final byte) of the `CSI ? params final` at `start`, or -1 when the data ends first. */
function privateModeEnd(data: Buffer, start: number): number {
  for (let i = start + 3; i < data.length; i++) {
    // Parameter (0x30–0x3f) and intermediate (0x20–0x2f) bytes go on; anything else is the final byte.
    const byte = data[i]!;
    if (byte < 0x20 || byte > 0x3f) return i + 1;
  }
  return -1;
}

/** Where an escape sequence cut off by the end of the data begins (the data's length when there is none). */
function unfinishedTail(data: Buffer): number {
  // Only a short tail can be the start of a sequence this filter cares about.
  for (let i = data.length - 1; i >= Math.max(0, data.length - 32); i--) {
    const byte = data[i]!;
    if (byte === ESC) {
      if (i === data.length - 1) return i;
      if (data[i + 1] === 0x5b && (i + 2 === data.length || data[i + 2] === 0x3f) && privateModeEnd(data, i) < 0) return i;
      return data.length;
    }
    if ((byte < 0x20 || byte > 0x3f) && byte !== 0x5b) return data.length;
  }
  return data.length;
}
