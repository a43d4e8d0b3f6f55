/**
 * `latentlab export RUN --format onnx [--part whole|encoder|decoder|bmu] [--softmax] [--output FILE]`:
 * a completed run's model written in another framework's format (the ONNX export: src/export/onnx).
 * The file goes inside the run (RUN/export/) unless --output names one; the global --out stays the
 * runs folder RUN is looked up in.
 */
import { Option, type Command } from 'commander';
import { exportRunOnnx, type RunOnnxResult } from '../../export/onnx/run.js';
import { UsageError } from '../errors.js';
import type { CommandHooks } from '../options.js';
import type { Output } from '../output.js';

/** The formats `export` writes. */
export type ExportFormat = 'onnx';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['onnx'];

export interface ExportFlags {
  run: string;
  out: string;
  format: string;
  part?: string;
  softmax?: boolean;
  output?: string;
}

function kb(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function printOnnx(r: RunOnnxResult, out: Output): void {
  out.line(`run ${r.run_id} (${r.run_kind}), part ${r.part}: ONNX (opset 17, IR 8), ${r.ops.length} nodes, ${r.values} stored values, ${kb(r.bytes)}`);
  const all = [...r.inputs, ...r.outputs];
  const shape = (v: (typeof all)[number]) => `[${v.shape.join(', ')}]`;
  const w = Math.max(...all.map((v) => v.name.length));
  const ws = Math.max(...all.map((v) => shape(v).length));
  for (const [label, list] of [
    ['input ', r.inputs],
    ['output', r.outputs],
  ] as const) {
    for (const v of list) out.line(`  ${label}  ${v.name.padEnd(w)}  ${v.type.padEnd(7)} ${shape(v).padEnd(ws)}  ${v.description}`);
  }
  out.line(`  file    ${r.file}`);
  out.result(r);
}

export function exportCommand(flags: ExportFlags, out: Output): number {
  if (!(EXPORT_FORMATS as readonly string[]).includes(flags.format))
    throw new UsageError(`export: --format expects one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(flags.format)}`);
  const format = flags.format as ExportFormat;
  switch (format) {
    case 'onnx':
      printOnnx(exportRunOnnx(flags.run, { out: flags.out, part: flags.part, softmax: flags.softmax, file: flags.output }), out);
      return 0;
    default: {
      const never: never = format;
      throw new Error(`internal: export: unhandled format ${String(never)}`);
    }
  }
}

/** Registers `latentlab export RUN`. */
export function registerExport(program: Command, hooks: CommandHooks): void {
  program
    .command('export <run>')
    .description("write a completed run's model for other runtimes: ONNX (mlp, cnn, ae, vae, desom runs)")
    .addOption(new Option('--format <format>', 'file format').choices([...EXPORT_FORMATS]).makeOptionMandatory())
    .option('--part <part>', 'ae / vae: whole | encoder | decoder; desom: whole | bmu | encoder | decoder (default whole)')
    .option('--softmax', 'mlp / cnn: also output probabilities, the softmax of the logits')
    .option('--output <file>', 'where to write (default RUN/export/model.onnx, model-<part>.onnx for a part)')
    .action((run: string, o: Omit<ExportFlags, 'run' | 'out'>, cmd: Command) => {
      hooks.done(exportCommand({ run, out: cmd.optsWithGlobals<{ out: string }>().out, ...o }, hooks.output(cmd)));
    });
}
