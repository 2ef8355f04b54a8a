/**
 * The little of the protobuf wire format that Vigil's load-time ONNX model edits need
 * (onnx-denormals.ts, onnx-prelu.ts): reading fields in place and writing new ones. No
 * schema: callers know the ONNX field numbers they touch and copy every other byte as it is.
 */

interface Cursor {
  pos: number;
}

export function readVarint(buf: Uint8Array, cur: Cursor): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (cur.pos >= buf.length) throw new Error("ONNX model is truncated");
    const byte = buf[cur.pos++];
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7;
    if (shift > 63) throw new Error("ONNX model has a malformed varint");
  }
}

/** One field of a message: where its tag starts, its payload (for varints, the value's bytes) and its end. */
export interface WireField {
  field: number;
  wire: number;
  /** Offset of the tag, so the whole field can be copied as it is. */
  start: number;
  dataStart: number;
  end: number;
  /** The value of a varint field (wire type 0). */
  value: number;
}

/** Every field of the message in [start, end), in order. */
export function readFields(buf: Uint8Array, start: number, end: number): WireField[] {
  const fields: WireField[] = [];
  const cur = { pos: start };
  while (cur.pos < end) {
    const tagStart = cur.pos;
    const tag = readVarint(buf, cur);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let dataStart = cur.pos;
    let value = 0;
    if (wire === 0) {
      value = readVarint(buf, cur);
    } else if (wire === 1) {
      cur.pos += 8;
    } else if (wire === 2) {
      const len = readVarint(buf, cur);
      dataStart = cur.pos;
      cur.pos += len;
    } else if (wire === 5) {
      cur.pos += 4;
    } else {
      throw new Error(`ONNX model uses unsupported protobuf wire type ${wire}`);
    }
    fields.push({ field, wire, start: tagStart, dataStart, end: cur.pos, value });
  }
  if (cur.pos !== end) throw new Error("ONNX model has a field that overruns its parent");
  return fields;
}

/** Calls `onField(field, start, end)` for each length-delimited field in [start, end), and `onVarint` for varints. */
export function forEachLenField(buf: Uint8Array, start: number, end: number, onField: (field: number, start: number, end: number) => void, onVarint?: (field: number, value: number) => void): void {
  for (const f of readFields(buf, start, end)) {
    if (f.wire === 2) onField(f.field, f.dataStart, f.end);
    else if (f.wire === 0) onVarint?.(f.field, f.value);
  }
}

function varint(value: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`cannot encode ${value} as a varint`);
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

export function varintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...varint(field * 8), ...varint(value)]);
}

export function bytesField(field: number, payload: Uint8Array): Uint8Array {
  const head = [...varint(field * 8 + 2), ...varint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

export function stringField(field: number, text: string): Uint8Array {
  return bytesField(field, new TextEncoder().encode(text));
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
