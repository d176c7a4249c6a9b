import { createReadStream, existsSync, statSync, watchFile } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { Transform } from 'node:stream';
import { Methods } from '../../../protocol/daemon.js';
import { terminalSafe } from '../../client/text.js';
import { withDaemon } from '../context.js';

/**
 * `orchestra logs`: the task's log — setup output, starts, stops, exits — and with --follow,
 * what comes next. The setup script and the agent come from the repository, so the log's
 * escape sequences (colours too) are shown as text, never obeyed; the file itself keeps them.
 */
export async function logs(ref: string, options: { follow?: boolean }): Promise<void> {
  const task = await withDaemon((c) => c.request(Methods.getTask, { cwd: process.cwd(), ref }));
  if (!existsSync(task.log) && !options.follow) {
    console.log(`Task ${task.ref} has no log yet; it starts with 'orchestra start ${task.id}'.`);
    return;
  }
  const text = new SafeText();
  let offset = await copyFrom(task.log, 0, text);
  if (!options.follow) return void process.stdout.write(text.end());
  // Polling, because the log is appended to by other processes (daemon, holder).
  await new Promise<void>(() => {
    watchFile(task.log, { interval: 250 }, () => {
      void copyFrom(task.log, offset, text).then((next) => (offset = next));
    });
  });
}

/**
 * The log's bytes as terminalSafe text, read by read: a character, or a \r\n line end, split
 * between two reads is decoded whole (a lone \r is made visible, the \r of \r\n is not).
 */
class SafeText {
  private readonly decoder = new StringDecoder('utf8');
  private heldReturn = '';

  next(bytes: Buffer): string {
    const text = this.heldReturn + this.decoder.write(bytes);
    this.heldReturn = text.endsWith('\r') ? '\r' : '';
    return terminalSafe(text.slice(0, text.length - this.heldReturn.length), { multiline: true });
  }

  end(): string {
    return terminalSafe(this.heldReturn + this.decoder.end(), { multiline: true });
  }
}

/** Writes the file from `offset` to stdout; returns the new end. */
function copyFrom(path: string, offset: number, text: SafeText): Promise<number> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return Promise.resolve(offset);
  }
  if (size < offset) offset = 0; // Truncated: start again.
  if (size === offset) return Promise.resolve(offset);
  return new Promise((resolve, reject) => {
    const neutralise = new Transform({ transform: (bytes: Buffer, _encoding, done) => done(null, text.next(bytes)) });
    createReadStream(path, { start: offset, end: size - 1 }).on('error', reject).pipe(neutralise);
    // Done when all of it has gone to stdout, so that what is written next comes after it.
    neutralise.on('end', () => resolve(size)).pipe(process.stdout, { end: false });
  });
}
