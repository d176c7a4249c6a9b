/**
 * A test agent with an input box that reads keys the way Claude Code does: its terminal in
 * raw mode, and with `--bracketed-paste` that mode on. Enter submits the box only when it
 * comes in a read of its own; a CR in the same read as other input (pasted, or typed faster
 * than a person types) is a newline, as is LF (Ctrl+J) anywhere. What it submits, it prints
 * as `PROMPT <the box as JSON>` (`PROMPT (pasted) …` when some of it came as a bracketed
 * paste); after each read it redraws the box, a newline shown as ⏎.
 *
 *   node prompt-app.js [--bracketed-paste]
 */
const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

const bracketed = process.argv.includes('--bracketed-paste');
let box = '';
/** Inside a bracketed paste that goes on in the next read. */
let pasting = false;
/** Some of the box came as a bracketed paste. */
let pasted = false;

process.stdin.setRawMode(true);
process.stdout.write(`${bracketed ? '\x1b[?2004h' : ''}prompt app ready\r\n> `);

process.stdin.on('data', (chunk: Buffer) => {
  const read = chunk.toString('utf8');
  if (read === '\r' && !pasting) {
    process.stdout.write(`\r\nPROMPT ${pasted ? '(pasted) ' : ''}${JSON.stringify(box)}\r\n> `);
    box = '';
    pasted = false;
    return;
  }
  for (let rest = read; rest !== ''; ) {
    const marker = pasting ? PASTE_END : PASTE_START;
    const at = rest.indexOf(marker);
    box += (at < 0 ? rest : rest.slice(0, at)).replace(/\r\n?/g, '\n');
    if (at < 0) break;
    pasting = !pasting;
    pasted = true;
    rest = rest.slice(at + marker.length);
  }
  process.stdout.write(`\r\x1b[K> ${box.replaceAll('\n', '⏎')}`);
});
