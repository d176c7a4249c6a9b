import xtermHeadless, { type IBufferCell } from '@xterm/headless';
import { HolderConnection } from '../../protocol/holder-client.js';

const { Terminal } = xtermHeadless;

/**
 * The live screen of one agent, for the dashboard's preview pane (`orchestra ui`). It
 * connects to the agent's holder as a `preview` client — the holder's headless terminal
 * sends its screen, then every byte the agent writes — and keeps a headless terminal of
 * the agent's size here, which `lines` cuts to the pane: never wrapped, so a wide screen
 * in a narrow pane stays readable, line for line.
 */
export class Preview {
  /** Replaced by a fresh one at every snapshot (see below). */
  private terminal = newTerminal(80, 24);
  private connection: HolderConnection | undefined;
  /** Why there is no screen to show (the holder refused, the agent ended); undefined while it streams. */
  problem: string | undefined;

  private constructor(private readonly changed: () => void) {}

  /** Connects to the holder at `socket`; `changed` runs whenever the screen may look different. */
  static async open(socket: string, changed: () => void): Promise<Preview> {
    const preview = new Preview(changed);
    const connection = await HolderConnection.open(socket, { role: 'preview', cols: 80, rows: 24 });
    preview.connection = connection;
    connection.onMessage((message) => {
      switch (message.t) {
        case 'snapshot':
          // A whole screen at the agent's size, for a clean terminal of that size: a new one,
          // since output still queued in the old one's parser must not land on the snapshot.
          preview.terminal.dispose();
          preview.terminal = newTerminal(message.cols, message.rows);
          preview.write(message.data);
          return;
        case 'output':
          preview.write(message.data);
          return;
        case 'exit':
          preview.problem = 'the agent has ended';
          changed();
          return;
      }
    });
    connection.onClose(() => {
      preview.problem ??= 'the connection to the agent closed';
      changed();
    });
    return preview;
  }

  /** The agent's terminal size. */
  get size(): { cols: number; rows: number } {
    return { cols: this.terminal.cols, rows: this.terminal.rows };
  }

  close(): void {
    this.connection?.close();
    this.terminal.dispose();
  }

  /**
   * The screen cut to `width`×`height`: the rows that matter most when the pane is shorter
   * than the screen are the last ones in use (agents keep their prompt at the bottom, a
   * shell's output grows downwards), so the window ends at the last row with text or the
   * cursor. Each line has its colours and attributes unless `color` is false.
   */
  lines(width: number, height: number, color: boolean): string[] {
    const buffer = this.terminal.buffer.active;
    let end = buffer.cursorY + 1;
    for (let y = this.terminal.rows - 1; y >= end; y--) {
      if (buffer.getLine(buffer.viewportY + y)?.translateToString(true).trim()) {
        end = y + 1;
        break;
      }
    }
    const start = Math.max(0, end - height);
    const lines: string[] = [];
    const cell = buffer.getNullCell();
    for (let y = start; y < end; y++) {
      const line = buffer.getLine(buffer.viewportY + y);
      lines.push(line ? renderRow(line, width, cell, color) : '');
    }
    return lines;
  }

  private write(data: string | Uint8Array): void {
    this.terminal.write(data, () => this.changed());
  }
}

function newTerminal(cols: number, rows: number): InstanceType<typeof Terminal> {
  return new Terminal({ cols, rows, scrollback: 0, allowProposedApi: true });
}

/** One row of cells as text with SGR sequences, cut at `width` columns (a wide character that does not fit becomes a space). */
function renderRow(line: { getCell(x: number, cell?: IBufferCell): IBufferCell | undefined; length: number }, width: number, cell: IBufferCell, color: boolean): string {
  let out = '';
  let style = '';
  let used = 0;
  let pendingSpaces = 0;
  for (let x = 0; x < line.length && used < width; x++) {
    if (!line.getCell(x, cell)) break;
    const cellWidth = cell.getWidth();
    if (cellWidth === 0) continue; // The right half of a wide character.
    const chars = used + cellWidth > width ? ' ' : cell.getChars() || ' ';
    const next = color ? sgr(cell) : '';
    // Blanks in the default style wait: trailing ones are left out (the pane clears to the line's end).
    if (chars === ' ' && next === '') {
      pendingSpaces += 1;
      used += 1;
      continue;
    }
    if (pendingSpaces > 0) {
      if (style !== '') out += '\x1b[0m';
      style = '';
      out += ' '.repeat(pendingSpaces);
      pendingSpaces = 0;
    }
    if (next !== style) {
      out += `\x1b[0m${next}`;
      style = next;
    }
    out += chars;
    used += chars === ' ' ? 1 : cellWidth;
  }
  return style !== '' ? `${out}\x1b[0m` : out;
}

/** The SGR parameters of a cell's colours and attributes, as one sequence; '' for the default style. */
function sgr(cell: IBufferCell): string {
  if (cell.isAttributeDefault()) return '';
  const codes: string[] = [];
  if (cell.isBold()) codes.push('1');
  if (cell.isDim()) codes.push('2');
  if (cell.isItalic()) codes.push('3');
  if (cell.isUnderline()) codes.push('4');
  if (cell.isInverse()) codes.push('7');
  if (cell.isInvisible()) codes.push('8');
  if (cell.isStrikethrough()) codes.push('9');
  codes.push(...colorCodes(cell.isFgRGB(), cell.isFgPalette(), cell.getFgColor(), 30));
  codes.push(...colorCodes(cell.isBgRGB(), cell.isBgPalette(), cell.getBgColor(), 40));
  return codes.length > 0 ? `\x1b[${codes.join(';')}m` : '';
}

function colorCodes(rgb: boolean, palette: boolean, value: number, base: 30 | 40): string[] {
  if (rgb) return [`${base + 8};2;${(value >> 16) & 0xff};${(value >> 8) & 0xff};${value & 0xff}`];
  if (!palette) return [];
  if (value < 8) return [String(base + value)];
  if (value < 16) return [String(base + 60 + value - 8)];
  return [`${base + 8};5;${value}`];
}
