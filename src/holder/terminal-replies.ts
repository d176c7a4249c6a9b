/**
 * Answers a terminal gives to an app's queries, as they arrive among a viewer's keys:
 * cursor position (CSI row;col R), device attributes (CSI ? … c, CSI > … c), device
 * status (CSI n), mode reports (CSI ? … $ y), kitty keyboard flags (CSI ? flags u), and
 * OSC and DCS replies (colours, XTVERSION).
 */
const REPLY = /\x1b\[\d+;\d+R|\x1b\[[?>][\d;]*c|\x1b\[\d*n|\x1b\[\??[\d;]*\$y|\x1b\[\?\d*u|\x1b\]\d+;[^\x07\x1b]*(?:\x07|\x1b\\)|\x1bP[^\x1b]*\x1b\\/g;

/**
 * A viewer's input without the answers its terminal gave to the app's queries. Every
 * viewer's terminal answers what the app asks; only the size owner's answers reach the
 * app, or it would hear each answer once per viewer (DESIGN.md §7.5).
 */
export function withoutReplies(data: Uint8Array): Buffer {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
  return Buffer.from(text.replace(REPLY, ''), 'latin1');
}
