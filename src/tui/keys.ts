/**
 * The keys a person presses, from the bytes a terminal in raw mode sends: named keys for
 * the arrows and editing keys (both the normal and the application-mode encodings), and
 * `char` for text. Sequences the dashboard has no use for are read whole as `other`, so
 * that a function key never arrives as stray letters.
 */
export type KeyName =
  | 'up'
  | 'down'
  | 'left'
  | 'right'
  | 'pageup'
  | 'pagedown'
  | 'home'
  | 'end'
  | 'enter'
  | 'escape'
  | 'backspace'
  | 'tab'
  | 'ctrl-c'
  | 'ctrl-l'
  | 'ctrl-u'
  | 'ctrl-z'
  | 'alt'
  | 'char'
  /** A sequence or control character the dashboard has no use for (kept for an agent, which may). */
  | 'other';

export interface Key {
  name: KeyName;
  /** The character, for `char` (and the key held with alt, for `alt`). */
  text?: string;
  /** The bytes that made the key, as read: what an agent gets when the key was meant for it. */
  raw: string;
}

const SEQUENCES: Record<string, KeyName> = {
  '[A': 'up',
  '[B': 'down',
  '[C': 'right',
  '[D': 'left',
  OA: 'up',
  OB: 'down',
  OC: 'right',
  OD: 'left',
  '[5~': 'pageup',
  '[6~': 'pagedown',
  '[H': 'home',
  '[F': 'end',
  OH: 'home',
  OF: 'end',
  '[1~': 'home',
  '[4~': 'end',
  '[7~': 'home',
  '[8~': 'end',
};

const CONTROLS: Record<string, KeyName> = {
  '\r': 'enter',
  '\n': 'enter',
  '\x7f': 'backspace',
  '\b': 'backspace',
  '\t': 'tab',
  '\x03': 'ctrl-c',
  '\x0c': 'ctrl-l',
  '\x15': 'ctrl-u',
  '\x1a': 'ctrl-z',
};

/** CSI with parameters and a final byte, or SS3 with one letter. */
const ESCAPE_SEQUENCE = /^\x1b(\[[0-?]*[ -/]*[@-~]|O[@-~])/;

export function parseKeys(input: string): Key[] {
  const keys: Key[] = [];
  for (let i = 0; i < input.length; ) {
    const rest = input.slice(i);
    if (rest[0] === '\x1b') {
      const sequence = ESCAPE_SEQUENCE.exec(rest);
      const next = rest.length > 1 ? String.fromCodePoint(rest.codePointAt(1)!) : '';
      if (sequence) {
        keys.push({ name: SEQUENCES[sequence[1]!] ?? 'other', raw: sequence[0] });
        i += sequence[0].length;
      } else if (next >= ' ' && next !== '\x7f') {
        // alt-<key> (ESC then the key in one read) is a key of its own, not Esc and then the key.
        keys.push({ name: 'alt', text: next, raw: `\x1b${next}` });
        i += 1 + next.length;
      } else {
        keys.push({ name: 'escape', raw: '\x1b' });
        i += 1;
      }
      continue;
    }
    const char = String.fromCodePoint(rest.codePointAt(0)!);
    const control = CONTROLS[char];
    keys.push(control ? { name: control, raw: char } : char >= ' ' ? { name: 'char', text: char, raw: char } : { name: 'other', raw: char });
    i += char.length;
  }
  return keys;
}
