/**
 * A model's summary, as Keras prints one: each layer with its output shape and its number of
 * parameters, then the totals. The shapes come from each module's `outputShape` (the course's
 * formulas for convolutions and pooling), the batch dimension shown as N.
 */
import type { Shape } from '../tensor/tensor.js';
import type { Module } from './module.js';
import { Sequential } from './sequential.js';

export interface SummaryRow {
  /** The layer's index path in the network ("3", or "2.1" inside a nested Sequential). */
  index: string;
  layer: string;
  /** The output shape, batch dimension first. */
  output: number[];
  parameters: number;
}

export interface ModelSummary {
  rows: SummaryRow[];
  parameters: number;
  /** Values in the buffers (BatchNorm's running statistics): saved with the model, not learned by the optimizer. */
  buffers: number;
  /** The summary as a fixed-width text table. */
  text: string;
}

function rowsOf(m: Module, shape: Shape, prefix: string, out: SummaryRow[]): Shape {
  if (m instanceof Sequential) {
    let s = shape;
    m.modules.forEach((c, i) => (s = rowsOf(c, s, `${prefix}.${i}`, out)));
    return s;
  }
  const next = m.outputShape(shape);
  out.push({ index: prefix === '' ? '0' : prefix, layer: m.toString(), output: [...next], parameters: m.parameterCount() });
  return next;
}

/** The summary of `model` for inputs of `inputShape` (batch dimension included: [N, 784], [N, 1, 28, 28]). */
export function summary(model: Module, inputShape: Shape): ModelSummary {
  if (!Array.isArray(inputShape) || inputShape.length === 0 || !inputShape.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new RangeError(`summary: expected an input shape of positive integers with the batch first (e.g. [1, 784]), got ${JSON.stringify(inputShape)}`);
  }
  const rows: SummaryRow[] = [];
  const seq = model instanceof Sequential ? model : new Sequential([model]);
  seq.modules.forEach((m, i) => rowsOf(m, i === 0 ? inputShape : (rows.at(-1)?.output ?? inputShape), `${i}`, rows));
  const parameters = model.parameterCount();
  let buffers = 0;
  for (const b of model.namedBuffers().values()) buffers += b.size;
  const shape = (s: readonly number[]): string => `(N, ${s.slice(1).join(', ')})`;
  const table = [['#', 'layer', 'output shape', 'parameters'], ...rows.map((r) => [r.index, r.layer, shape(r.output), r.parameters.toLocaleString('en-US')])];
  const widths = table[0].map((_, j) => Math.max(...table.map((r) => r[j].length)));
  const line = (r: string[]): string => r.map((c, j) => (j === 3 ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join('  ');
  const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  const text = [
    line(table[0]),
    rule,
    ...table.slice(1).map(line),
    rule,
    `parameters: ${parameters.toLocaleString('en-US')}${buffers > 0 ? ` (and ${buffers.toLocaleString('en-US')} buffer values)` : ''}`,
  ].join('\n');
  return { rows, parameters, buffers, text };
}
