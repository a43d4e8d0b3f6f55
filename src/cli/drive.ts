/**
 * How a run command shows a training of the runs API: notices and warnings on stderr, the
 * progress display, then the result's lines (or its JSON with --json). Exit code 0 when the run
 * completed, 130 when a signal interrupted it (it can be resumed).
 */
import type { RunEvaluation, Training } from '../runs/api.js';
import type { Output, Progress } from './output.js';

export async function drive(training: Training, out: Output): Promise<number> {
  let bar: Progress | null = null;
  try {
    for (;;) {
      const r = await training.next();
      if (r.done) {
        const result = r.value;
        for (const l of result.lines) out.line(l);
        // An interrupted run has said how to resume it (a notice); --json prints only results.
        if (result.status === 'completed') out.result(result.json);
        return result.status === 'completed' ? 0 : 130;
      }
      const e = r.value;
      switch (e.type) {
        case 'notice':
          out.notice(e.message);
          break;
        case 'warning':
          out.notice(`warning: ${e.message}`);
          break;
        case 'progress':
          bar = out.progress(e.total, e.format);
          break;
        case 'tick':
          bar?.update(e.value, e.payload);
          break;
        case 'progress-end':
          bar?.stop();
          bar = null;
          break;
      }
    }
  } finally {
    bar?.stop();
  }
}

/** A metric's value as eval prints it: integers whole, others with 4 significant decimals (more below 0.1). */
export function metricValue(v: number): string {
  if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 0.1 ? v.toFixed(4) : v.toPrecision(4);
}

/** `latentlab eval`'s output, the same for every kind: what was scored, then one aligned line per metric. */
export function printEval(r: RunEvaluation, out: Output): void {
  out.line(`run ${r.run_id} on ${r.dataset} (${r.split}, ${r.rows} rows${r.via === null ? '' : `, ${r.via}`})`);
  const w = Math.max(...Object.keys(r.metrics).map((k) => k.length));
  for (const [k, v] of Object.entries(r.metrics)) out.line(`  ${k.padEnd(w)}  ${metricValue(v)}`);
  out.result({ run_id: r.run_id, split: r.split, rows: r.rows, metrics: r.metrics });
}
