/**
 * Peak resident memory of this process, for summaries and benchmarks.
 */
import { readFileSync } from 'node:fs';

/**
 * Peak resident set size of this process image in MB: VmHWM from /proc/self/status on Linux, else
 * getrusage's maxRSS. VmHWM first because Linux carries maxRSS over fork and exec: a command
 * started by a large parent (a benchmark runner holding MNIST) would report the parent's size.
 */
export function peakRssMb(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m !== null) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS / 1024;
}
