import type xtermHeadless from '@xterm/headless';

type Terminal = InstanceType<typeof xtermHeadless.Terminal>;

/** Mouse report encodings: the app picks one on top of a tracking mode. */
const MOUSE_ENCODINGS = [1005, 1006, 1015, 1016];

/**
 * What the app set that the serialize addon does not restore (DESIGN.md §7.2): cursor
 * visibility and style, the mouse encoding, the scroll region, the kitty keyboard flags
 * and the title. It listens to the headless terminal's parser and lets every sequence
 * through to it unchanged.
 */
export class ModeTracker {
  private cursorHidden = false;
  private cursorStyle: number | undefined;
  private mouseEncoding: number | undefined;
  private scrollRegion: [number, number] | undefined;
  /** Kitty keyboard flag stacks, one per screen as the protocol has it. */
  private readonly keyboard = { normal: [0], alternate: [0] };
  private title = '';

  constructor(private readonly terminal: Terminal) {
    const parser = terminal.parser;
    parser.registerCsiHandler({ prefix: '?', final: 'h' }, (params) => this.privateModes(params, true));
    parser.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => this.privateModes(params, false));
    parser.registerCsiHandler({ intermediates: ' ', final: 'q' }, (params) => {
      this.cursorStyle = first(params) || undefined;
      return false;
    });
    parser.registerCsiHandler({ final: 'r' }, (params) => {
      const [top, bottom] = [first(params), Number(params[1] ?? 0)];
      this.scrollRegion = top > 1 || (bottom > 0 && bottom < terminal.rows) ? [top || 1, bottom || terminal.rows] : undefined;
      return false;
    });
    parser.registerCsiHandler({ prefix: '>', final: 'u' }, (params) => {
      this.stack().push(first(params));
      return false;
    });
    parser.registerCsiHandler({ prefix: '<', final: 'u' }, (params) => {
      const stack = this.stack();
      for (let n = Math.max(1, first(params)); n > 0 && stack.length > 1; n--) stack.pop();
      if (stack.length === 1) stack[0] = 0;
      return false;
    });
    parser.registerCsiHandler({ prefix: '=', final: 'u' }, (params) => {
      const stack = this.stack();
      const [flags, mode] = [first(params), Number(params[1] ?? 1)];
      const top = stack[stack.length - 1]!;
      stack[stack.length - 1] = mode === 2 ? top | flags : mode === 3 ? top & ~flags : flags;
      return false;
    });
    terminal.onTitleChange((title) => (this.title = title));
    terminal.onResize(() => (this.scrollRegion = undefined));
  }

  /**
   * Sequences that put a terminal, after the serialized screen, into the modes the app set.
   * The scroll region comes before the caller's final cursor position, since setting it
   * moves the cursor.
   */
  replay(): string {
    let out = '';
    if (this.scrollRegion) out += `\x1b[${this.scrollRegion[0]};${this.scrollRegion[1]}r`;
    if (this.mouseEncoding) out += `\x1b[?${this.mouseEncoding}h`;
    if (this.cursorStyle !== undefined) out += `\x1b[${this.cursorStyle} q`;
    const flags = this.keyboardFlags;
    if (flags) out += `\x1b[>${flags}u`;
    if (this.title) out += `\x1b]2;${this.title}\x07`;
    out += this.cursorHidden ? '\x1b[?25l' : '\x1b[?25h';
    return out;
  }

  /** The kitty keyboard flags in force on the screen the app shows. */
  get keyboardFlags(): number {
    const stack = this.stack();
    return stack[stack.length - 1]!;
  }

  private privateModes(params: (number | number[])[], on: boolean): boolean {
    for (const param of params) {
      const mode = typeof param === 'number' ? param : param[0];
      if (mode === 25) this.cursorHidden = !on;
      else if (mode !== undefined && MOUSE_ENCODINGS.includes(mode)) this.mouseEncoding = on ? mode : this.mouseEncoding === mode ? undefined : this.mouseEncoding;
    }
    return false;
  }

  private stack(): number[] {
    return this.terminal.buffer.active.type === 'alternate' ? this.keyboard.alternate : this.keyboard.normal;
  }
}

function first(params: (number | number[])[]): number {
  const value = params[0];
  return typeof value === 'number' ? value : (value?.[0] ?? 0);
}
