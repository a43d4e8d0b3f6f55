export { ONNX_IR_VERSION, ONNX_OPSET, encodeModelProto, decodeModelProto, type ModelMessage } from './proto.js';
export { BATCH_DIM, GraphBuilder, type OnnxIo, type Value as OnnxValue, type AttrValue as OnnxAttrValue } from './graph.js';
export { ONNX_LAYERS, UnsupportedLayerError, emitModule } from './layers.js';
export {
  ONNX_PARTS,
  autoencoderToOnnx,
  desomToOnnx,
  inferInputShape,
  sequentialToOnnx,
  vaeToOnnx,
  type OnnxModel,
  type OnnxModelOptions,
  type OnnxPart,
} from './models.js';
export { ONNX_RUN_PARTS, exportRunOnnx, type RunOnnxOptions, type RunOnnxResult } from './run.js';
