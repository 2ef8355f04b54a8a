import { EMBEDDING_DIMENSIONS } from "@/db/vector";

/** An embedding as stored: little-endian float32 bytes (a copy, so the caller's array stays its own). */
export function embeddingToBytes(embedding: Float32Array | number[]): Buffer {
  if (embedding.length !== EMBEDDING_DIMENSIONS) throw new Error(`an embedding has ${EMBEDDING_DIMENSIONS} values, not ${embedding.length}`);
  const out = Buffer.alloc(EMBEDDING_DIMENSIONS * 4);
  for (let i = 0; i < EMBEDDING_DIMENSIONS; i++) out.writeFloatLE(embedding[i], i * 4);
  return out;
}

/** The float32 values of stored embedding bytes. */
export function embeddingFromBytes(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength !== EMBEDDING_DIMENSIONS * 4) throw new Error(`a stored embedding has ${EMBEDDING_DIMENSIONS * 4} bytes, not ${bytes.byteLength}`);
  const out = new Float32Array(EMBEDDING_DIMENSIONS);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < EMBEDDING_DIMENSIONS; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/**
 * pgvector's text form. Nine significant digits round-trip a float32 exactly, so the indexed
 * copy holds the same numbers as the stored bytes and both search paths agree.
 */
export function vectorLiteral(embedding: Float32Array): string {
  let out = "[";
  for (let i = 0; i < embedding.length; i++) out += (i ? "," : "") + embedding[i].toPrecision(9);
  return out + "]";
}

/** Scales to unit length (cosine similarity becomes a dot product); rejects zero and non-finite input. */
export function normalized(values: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new Error("an embedding value is not a finite number");
    sum += v * v;
  }
  if (sum === 0) throw new Error("an embedding of zeros has no direction");
  const scale = 1 / Math.sqrt(sum);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] * scale;
  return out;
}

export function dot(a: Float32Array, b: Float32Array, offset = 0): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[offset + i];
  return sum;
}
