import { createReadStream, existsSync, statSync, watchFile } from 'node:fs';
import { Methods } from '../../../protocol/daemon.js';
import { withDaemon } from '../context.js';

/** `orchestra logs`: the task's log — setup output, starts, stops, exits — and with --follow, what comes next. */
export async function logs(ref: string, options: { follow?: boolean }): Promise<void> {
  const task = await withDaemon((c) => c.request(Methods.getTask, { cwd: process.cwd(), ref }));
  if (!existsSync(task.log) && !options.follow) {
    console.log(`Task ${task.ref} has no log yet; it starts with 'orchestra start ${task.id}'.`);
    return;
  }
  let offset = await copyFrom(task.log, 0);
  if (!options.follow) return;
  // Polling, because the log is appended to by other processes (daemon, holder).
  await new Promise<void>(() => {
    watchFile(task.log, { interval: 250 }, () => {
      void copyFrom(task.log, offset).then((next) => (offset = next));
    });
  });
}

/** Writes the file from `offset` to stdout; returns the new end. */
function copyFrom(path: string, offset: number): Promise<number> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return Promise.resolve(offset);
  }
  if (size < offset) offset = 0; // Truncated: start again.
  if (size === offset) return Promise.resolve(offset);
  return new Promise((resolve, reject) => {
    const stream = createReadStream(path, { start: offset, end: size - 1 });
    stream.on('error', reject);
    stream.on('end', () => resolve(size));
    stream.pipe(process.stdout, { end: false });
  });
}
