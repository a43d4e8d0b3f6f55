/**
 * The part of the ONNX protobuf schema an exported model needs (ModelProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto,
 * StringStringEntryProto), built with protobufjs's reflection API from the field numbers of the
 * ONNX specification's onnx.proto (IR version 8), and the encoder of a ModelProto.
 *
 * Enum-typed fields (AttributeProto.type, TensorProto.data_type) are declared int32: an enum is
 * a varint on the wire, so the bytes are the same.
 */
import protobuf from 'protobufjs';

/** TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

/** AttributeProto.AttributeType values used here. */
export const ATTR_FLOAT = 1;
export const ATTR_INT = 2;
export const ATTR_STRING = 3;
export const ATTR_FLOATS = 6;
export const ATTR_INTS = 7;

/** The IR version written (ONNX 1.10+, onnxruntime 1.10+). */
export const ONNX_IR_VERSION = 8;
/** The default-domain operator set the exported graphs use. */
export const ONNX_OPSET = 17;

type FieldRule = 'repeated' | undefined;

/** A message type from [name, field number, type, rule, packed] rows. */
function message(name: string, fields: [string, number, string, FieldRule?, boolean?][]): protobuf.Type {
  const t = new protobuf.Type(name);
  for (const [field, id, type, rule, packed] of fields)
    t.add(new protobuf.Field(field, id, type, rule, undefined, packed === true ? { packed: true } : undefined));
  return t;
}

function buildRoot(): protobuf.Root {
  const root = new protobuf.Root();
  const onnx = root.define('onnx');
  onnx.add(
    message('StringStringEntryProto', [
      ['key', 1, 'string'],
      ['value', 2, 'string'],
    ]),
  );
  onnx.add(
    message('OperatorSetIdProto', [
      ['domain', 1, 'string'],
      ['version', 2, 'int64'],
    ]),
  );
  onnx.add(
    message('TensorProto', [
      ['dims', 1, 'int64', 'repeated'],
      ['data_type', 2, 'int32'],
      ['float_data', 4, 'float', 'repeated', true],
      ['int32_data', 5, 'int32', 'repeated', true],
      ['int64_data', 7, 'int64', 'repeated', true],
      ['name', 8, 'string'],
      ['raw_data', 9, 'bytes'],
      ['doc_string', 12, 'string'],
    ]),
  );
  const dimension = message('Dimension', [
    ['dim_value', 1, 'int64'],
    ['dim_param', 2, 'string'],
    ['denotation', 3, 'string'],
  ]);
  dimension.add(new protobuf.OneOf('value', ['dim_value', 'dim_param']));
  const shape = message('TensorShapeProto', [['dim', 1, 'Dimension', 'repeated']]);
  shape.add(dimension);
  onnx.add(shape);
  const tensorType = message('Tensor', [
    ['elem_type', 1, 'int32'],
    ['shape', 2, 'TensorShapeProto'],
  ]);
  const typeProto = message('TypeProto', [
    ['tensor_type', 1, 'Tensor'],
    ['denotation', 6, 'string'],
  ]);
  typeProto.add(tensorType);
  typeProto.add(new protobuf.OneOf('value', ['tensor_type']));
  onnx.add(typeProto);
  onnx.add(
    message('ValueInfoProto', [
      ['name', 1, 'string'],
      ['type', 2, 'TypeProto'],
      ['doc_string', 3, 'string'],
    ]),
  );
  onnx.add(
    message('AttributeProto', [
      ['name', 1, 'string'],
      ['f', 2, 'float'],
      ['i', 3, 'int64'],
      ['s', 4, 'bytes'],
      ['t', 5, 'TensorProto'],
      ['floats', 7, 'float', 'repeated'],
      ['ints', 8, 'int64', 'repeated'],
      ['strings', 9, 'bytes', 'repeated'],
      ['doc_string', 13, 'string'],
      ['type', 20, 'int32'],
    ]),
  );
  onnx.add(
    message('NodeProto', [
      ['input', 1, 'string', 'repeated'],
      ['output', 2, 'string', 'repeated'],
      ['name', 3, 'string'],
      ['op_type', 4, 'string'],
      ['attribute', 5, 'AttributeProto', 'repeated'],
      ['doc_string', 6, 'string'],
      ['domain', 7, 'string'],
    ]),
  );
  onnx.add(
    message('GraphProto', [
      ['node', 1, 'NodeProto', 'repeated'],
      ['name', 2, 'string'],
      ['initializer', 5, 'TensorProto', 'repeated'],
      ['doc_string', 10, 'string'],
      ['input', 11, 'ValueInfoProto', 'repeated'],
      ['output', 12, 'ValueInfoProto', 'repeated'],
      ['value_info', 13, 'ValueInfoProto', 'repeated'],
    ]),
  );
  onnx.add(
    message('ModelProto', [
      ['ir_version', 1, 'int64'],
      ['producer_name', 2, 'string'],
      ['producer_version', 3, 'string'],
      ['domain', 4, 'string'],
      ['model_version', 5, 'int64'],
      ['doc_string', 6, 'string'],
      ['graph', 7, 'GraphProto'],
      ['opset_import', 8, 'OperatorSetIdProto', 'repeated'],
      ['metadata_props', 14, 'StringStringEntryProto', 'repeated'],
    ]),
  );
  root.resolveAll();
  return root;
}

let root: protobuf.Root | null = null;

/** The onnx.* message type of that name (the schema is built once). */
export function onnxType(name: string): protobuf.Type {
  root ??= buildRoot();
  return root.lookupType(`onnx.${name}`);
}

/** A tensor stored in an initializer or an attribute. */
export interface TensorMessage {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

/** An attribute of a node (exactly one of the value fields, `type` naming which). */
export interface AttributeMessage {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
}

export interface NodeMessage {
  name: string;
  op_type: string;
  input: string[];
  output: string[];
  attribute: AttributeMessage[];
}

/** One dimension: a size, or a symbolic name ("N", the batch). */
export type DimMessage = { dim_value: number } | { dim_param: string };

export interface ValueInfoMessage {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: DimMessage[] } } };
  doc_string?: string;
}

export interface GraphMessage {
  name: string;
  node: NodeMessage[];
  initializer: TensorMessage[];
  input: ValueInfoMessage[];
  output: ValueInfoMessage[];
  doc_string?: string;
}

export interface ModelMessage {
  ir_version: number;
  producer_name: string;
  producer_version: string;
  doc_string?: string;
  graph: GraphMessage;
  opset_import: { domain: string; version: number }[];
  metadata_props: { key: string; value: string }[];
}

/** The ModelProto bytes of `model` (refusing a message protobufjs finds malformed). */
export function encodeModelProto(model: ModelMessage): Uint8Array {
  const t = onnxType('ModelProto');
  const problem = t.verify(model);
  if (problem !== null) throw new Error(`internal: encodeModelProto: ${problem}`);
  return t.encode(t.fromObject(model)).finish();
}

/** Decodes ModelProto bytes into a plain object (for tests and inspection). */
export function decodeModelProto(bytes: Uint8Array): Record<string, unknown> {
  const t = onnxType('ModelProto');
  return t.toObject(t.decode(bytes), { longs: Number, bytes: Array, defaults: false });
}
