/** report.html at a run's root, the same way for every kind. */
import { writeFileAtomic } from '../io/atomic.js';
import type { RunDir } from './run-dir.js';
import { applicableConfig, omittedConfigNote } from '../viz/labels.js';
import { renderReport, type ReportOptions } from '../viz/report.js';
import { loadReportScript } from '../viz/report-script.js';

// The interactive charts' script, loaded (or built, in a source checkout) when the report writers
// load — they are imported lazily, after training — so writeReportHtml stays synchronous. Without
// one the reports are written static; loadReportScript never throws.
await loadReportScript();

/** Renders and atomically writes report.html, showing only the config keys that apply to `kind` (the rest named in a note); returns its path. */
export function writeReportHtml(run: RunDir, kind: string, o: Omit<ReportOptions, 'config' | 'configNote'> & { config: Record<string, unknown> }): string {
  const cfg = applicableConfig(kind, o.config);
  const path = run.file('report.html');
  writeFileAtomic(path, renderReport({ ...o, config: cfg.shown, configNote: omittedConfigNote(cfg.omitted) }));
  return path;
}
