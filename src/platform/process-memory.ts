import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * A process's memory in MiB, for bench/: resident (RSS) and proportional (PSS: shared pages
 * divided among their users, the fair count for many holders of one Node). Linux reads
 * `/proc/<pid>/smaps_rollup`; macOS has no PSS, and gives RSS through `ps` (KiB), which then
 * stands for both.
 */
export interface MemoryProbe {
  readFile(path: string): string;
  psRss(pid: number): string;
}

const realProbe: MemoryProbe = {
  readFile: (path) => readFileSync(path, 'utf8'),
  psRss: (pid) => execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }),
};

export function processMemory(pid: number, platform: NodeJS.Platform = process.platform, probe: MemoryProbe = realProbe): { rss: number; pss: number } {
  if (platform === 'linux') {
    const text = probe.readFile(`/proc/${pid}/smaps_rollup`);
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]) / 1024;
    return { rss: field('Rss'), pss: field('Pss') };
  }
  const rss = Number(probe.psRss(pid).trim()) / 1024;
  if (!Number.isFinite(rss) || rss <= 0) throw new Error(`ps gave no memory for process ${pid}`);
  return { rss, pss: rss };
}
