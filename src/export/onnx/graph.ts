/**
 * Building an ONNX graph: nodes in topological order, float32 / int64 initializers, unique value
 * names, graph inputs and outputs with a symbolic batch dimension "N", and the ModelProto bytes.
 * The layer mapping (layers.ts) and the model exports (models.ts) write through it.
 */
import { packageVersion } from '../../version.js';
import {
  ATTR_FLOAT,
  ATTR_FLOATS,
  ATTR_INT,
  ATTR_INTS,
  ATTR_STRING,
  ONNX_FLOAT,
  ONNX_INT64,
  ONNX_IR_VERSION,
  ONNX_OPSET,
  encodeModelProto,
  type AttributeMessage,
  type DimMessage,
  type NodeMessage,
  type TensorMessage,
  type ValueInfoMessage,
} from './proto.js';

/** The symbolic name of the batch dimension of every graph input and output. */
export const BATCH_DIM = 'N';

/** An attribute value: a number is an int unless wrapped as {float}, arrays of ints, or a string. */
export type AttrValue = number | { float: number } | { floats: number[] } | readonly number[] | string;

/**
 * A value flowing through the graph: its name and its shape without the batch dimension (every
 * value here has the batch first, except initializers).
 */
export interface Value {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The element type of a graph input or output. */
export type ElemType = 'float32' | 'int64';

/** A graph input or output as a user sees it: name, shape with "N" for the batch, type, meaning. */
export interface OnnxIo {
  name: string;
  shape: (number | typeof BATCH_DIM)[];
  type: ElemType;
  description: string;
}

function attribute(name: string, v: AttrValue): AttributeMessage {
  if (typeof v === 'string') return { name, type: ATTR_STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError(`internal: attribute ${name}: expected an integer, got ${v} (wrap floats as {float})`);
    return { name, type: ATTR_INT, i: v };
  }
  if ('float' in v) return { name, type: ATTR_FLOAT, f: v.float };
  if ('floats' in v) return { name, type: ATTR_FLOATS, floats: [...v.floats] };
  return { name, type: ATTR_INTS, ints: [...v] };
}

function valueInfo(name: string, elem: ElemType, shape: readonly number[], batch: boolean, doc: string): ValueInfoMessage {
  const dim: DimMessage[] = [...(batch ? [{ dim_param: BATCH_DIM }] : []), ...shape.map((d) => ({ dim_value: d }))];
  return { name, type: { tensor_type: { elem_type: elem === 'float32' ? ONNX_FLOAT : ONNX_INT64, shape: { dim } } }, doc_string: doc };
}

/** An ONNX graph under construction. */
export class GraphBuilder {
  private readonly nodes: NodeMessage[] = [];
  private readonly initializers: TensorMessage[] = [];
  private readonly inputs: ValueInfoMessage[] = [];
  private readonly outputs: ValueInfoMessage[] = [];
  private readonly names = new Set<string>();
  private readonly produced = new Map<string, NodeMessage>();
  /** Values renamed by output(): old name → graph output name. */
  private readonly renamed = new Map<string, string>();
  private readonly ios: { inputs: OnnxIo[]; outputs: OnnxIo[] } = { inputs: [], outputs: [] };

  constructor(readonly name: string) {}

  /** A name not used yet: `base`, else `base_1`, `base_2`, … */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** Declares a float32 graph input [N, …shape]. */
  input(name: string, shape: readonly number[], doc: string): Value {
    if (this.names.has(name)) throw new Error(`internal: GraphBuilder.input: the name ${JSON.stringify(name)} is taken`);
    this.names.add(name);
    this.inputs.push(valueInfo(name, 'float32', shape, true, doc));
    this.ios.inputs.push({ name, shape: [BATCH_DIM, ...shape], type: 'float32', description: doc });
    return { name, shape };
  }

  /** A float32 initializer (the weights of a layer, under its state_dict name when it has one). */
  floats(name: string, dims: readonly number[], data: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`internal: GraphBuilder.floats: ${name} has ${data.length} values for dims [${dims.join(', ')}]`);
    const n = this.fresh(name);
    // raw_data is little-endian IEEE 754; copy so a later training step cannot change the export.
    const bytes = new Uint8Array(size * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < size; i++) view.setFloat32(4 * i, data[i], true);
    this.initializers.push({ name: n, dims: [...dims], data_type: ONNX_FLOAT, raw_data: bytes });
    return n;
  }

  /** An int64 initializer (shapes, axes). */
  ints(name: string, values: readonly number[]): string {
    const n = this.fresh(name);
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
    this.initializers.push({ name: n, dims: [values.length], data_type: ONNX_INT64, raw_data: bytes });
    return n;
  }

  /**
   * Appends a node `op(inputs) → outputs` named `name` (made unique), whose outputs are new values
   * named after `name` (`name` for one output, `name:<i>` for more); returns their names.
   * An empty string among the inputs is an omitted optional input.
   */
  node(op: string, name: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputs = 1): string[] {
    const nodeName = this.fresh(name);
    const outs = outputs === 1 ? [nodeName] : Array.from({ length: outputs }, (_, i) => this.fresh(`${nodeName}:${i}`));
    const node: NodeMessage = {
      name: nodeName,
      op_type: op,
      input: inputs.map((i) => this.renamed.get(i) ?? i),
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    };
    this.nodes.push(node);
    for (const o of outs) this.produced.set(o, node);
    return outs;
  }

  /**
   * Makes `value` a graph output named `name` ([N, …shape]): the node that produced it is renamed
   * (its uses too, and later nodes reading the old name read the new one), or, for a value no node
   * produced (a graph input passed through) or one already an output, an Identity node makes it.
   */
  output(value: Value, name: string, doc: string, elem: ElemType = 'float32'): Value {
    const current = this.renamed.get(value.name) ?? value.name;
    if (current !== name) {
      if (this.names.has(name)) throw new Error(`internal: GraphBuilder.output: the name ${JSON.stringify(name)} is taken`);
      this.names.add(name);
      const node = this.produced.get(current);
      if (node === undefined || this.outputs.some((o) => o.name === current)) {
        this.nodes.push({ name, op_type: 'Identity', input: [current], output: [name], attribute: [] });
      } else {
        node.output = node.output.map((o) => (o === current ? name : o));
        for (const n of this.nodes) n.input = n.input.map((i) => (i === current ? name : i));
        this.produced.delete(current);
        this.produced.set(name, node);
        this.renamed.set(value.name, name);
        if (current !== value.name) this.renamed.set(current, name);
      }
    }
    this.outputs.push(valueInfo(name, elem, value.shape, true, doc));
    this.ios.outputs.push({ name, shape: [BATCH_DIM, ...value.shape], type: elem, description: doc });
    return { name, shape: value.shape };
  }

  /** The ModelProto bytes: IR version 8, opset 17, `doc` and `metadata` recorded in the model. */
  encode(o: { doc?: string; metadata?: Record<string, string> } = {}): Uint8Array {
    if (this.outputs.length === 0) throw new Error('internal: GraphBuilder.encode: the graph has no output');
    return encodeModelProto({
      ir_version: ONNX_IR_VERSION,
      producer_name: 'latentlab',
      producer_version: packageVersion(),
      ...(o.doc === undefined ? {} : { doc_string: o.doc }),
      graph: { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
      opset_import: [{ domain: '', version: ONNX_OPSET }],
      metadata_props: Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value })),
    });
  }

  /** The op types of the nodes so far, in order (for summaries and tests). */
  opTypes(): string[] {
    return this.nodes.map((n) => n.op_type);
  }

  /** The graph's inputs and outputs so far. */
  signature(): { inputs: OnnxIo[]; outputs: OnnxIo[] } {
    return { inputs: [...this.ios.inputs], outputs: [...this.ios.outputs] };
  }

  /** Number of initializer values (the exported parameters, buffers and constants). */
  initializerValues(): number {
    return this.initializers.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
  }
}
