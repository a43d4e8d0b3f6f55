/** Reading and writing safetensors files; the format and its codec are in safetensors-codec.ts. */
import { writeFileAtomic } from './atomic.js';
import { readBytes } from './files.js';
import { decodeSafetensors, encodeSafetensors, type SafeTensor, type SafetensorsFile } from './safetensors-codec.js';

export * from './safetensors-codec.js';

/** Reads and decodes a safetensors file (errors name the path). */
export function readSafetensors(path: string): SafetensorsFile {
  return decodeSafetensors(readBytes('readSafetensors', path), path);
}

/** Encodes and writes a safetensors file atomically. */
export function writeSafetensors(path: string, tensors: Record<string, SafeTensor>, metadata?: Record<string, string>): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
