/**
 * An ONNX graph as the load-time rewrites (onnx-prelu.ts, onnx-pad-channels.ts) see it: its
 * nodes and float initializers read from the protobuf in place, and a way to put the model
 * back together with some nodes and initializers replaced. Everything a rewrite does not touch
 * is copied byte for byte.
 *
 * Fields used: ModelProto.graph (7); GraphProto.node (1), initializer (5), input (11),
 * output (12), value_info (13); ValueInfoProto.name (1); NodeProto.input (1), output (2), name (3), op_type (4), attribute (5),
 * domain (7); AttributeProto.name (1), i (3), type (20); TensorProto.dims (1), data_type (2),
 * float_data (4), name (8), raw_data (9).
 */
import type { WireField } from "./onnx-wire";
import { bytesField, concatBytes, readFields, readVarint, stringField, varintField } from "./onnx-wire";

const FLOAT = 1;
const ATTRIBUTE_INT = 2;

export interface GraphNode {
  field: WireField;
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Each AttributeProto's name, its integer value (0 when it has none) and its encoded bytes. */
  attributes: Array<{ name: string; i: number; bytes: Uint8Array }>;
}

export interface FloatInitializer {
  field: WireField;
  dims: number[];
  /** The little-endian float32 bytes, in the model. */
  data: Uint8Array;
}

/** ONNX stores floats little-endian; so does every CPU Node runs on but s390x. */
const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** An initializer's values, decoded when a rewrite needs them (most are never read). */
export function floatValues(tensor: FloatInitializer): Float32Array {
  const values = new Float32Array(tensor.data.byteLength / 4);
  if (littleEndian) {
    new Uint8Array(values.buffer).set(tensor.data);
    return values;
  }
  const view = new DataView(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
  return values;
}

export interface Graph {
  model: Uint8Array;
  graphField: WireField;
  fields: WireField[];
  nodes: GraphNode[];
  /** Float initializers stored in the model, by name; others (external data, other types) are absent. */
  initializers: Map<string, FloatInitializer>;
  /** Every tensor name in use, so new ones can be made unique. */
  names: Set<string>;
  /** Names listed as graph inputs (old models list initializers there too). */
  inputs: Set<string>;
  /** Names listed as graph outputs. */
  outputs: Set<string>;
  /** The value_info (shape annotation) field of each annotated tensor. */
  valueInfo: Map<string, WireField>;
  /** The nodes reading each tensor. */
  consumers: Map<string, GraphNode[]>;
}

const decoder = new TextDecoder();
const text = (buf: Uint8Array, f: WireField) => decoder.decode(buf.subarray(f.dataStart, f.end));

function readNode(buf: Uint8Array, f: WireField): GraphNode {
  const node: GraphNode = { field: f, name: "", opType: "", domain: "", inputs: [], outputs: [], attributes: [] };
  for (const g of readFields(buf, f.dataStart, f.end)) {
    if (g.wire !== 2) continue;
    if (g.field === 1) node.inputs.push(text(buf, g));
    else if (g.field === 2) node.outputs.push(text(buf, g));
    else if (g.field === 3) node.name = text(buf, g);
    else if (g.field === 4) node.opType = text(buf, g);
    else if (g.field === 7) node.domain = text(buf, g);
    else if (g.field === 5) {
      let name = "";
      let i = 0;
      for (const a of readFields(buf, g.dataStart, g.end)) {
        if (a.field === 1 && a.wire === 2) name = text(buf, a);
        else if (a.field === 3 && a.wire === 0) i = a.value;
      }
      node.attributes.push({ name, i, bytes: buf.subarray(g.dataStart, g.end) });
    }
  }
  return node;
}

function readInitializer(buf: Uint8Array, f: WireField): { name: string; tensor: FloatInitializer | null } {
  let name = "";
  let dataType = 0;
  const dims: number[] = [];
  let data: Uint8Array | null = null;
  for (const g of readFields(buf, f.dataStart, f.end)) {
    if (g.field === 8 && g.wire === 2) name = text(buf, g);
    else if (g.field === 2 && g.wire === 0) dataType = g.value;
    else if (g.field === 1 && g.wire === 0) dims.push(g.value);
    else if (g.field === 1 && g.wire === 2) {
      // Packed dims: a run of varints.
      const cur = { pos: g.dataStart };
      while (cur.pos < g.end) dims.push(readVarint(buf, cur));
    } else if ((g.field === 9 || g.field === 4) && g.wire === 2) {
      data = buf.subarray(g.dataStart, g.end);
    }
  }
  const count = dims.reduce((a, b) => a * b, 1);
  return { name, tensor: dataType === FLOAT && data && data.byteLength === count * 4 ? { field: f, dims, data } : null };
}

/** Reads the graph of an ONNX model; null when it has none. */
export function readGraph(model: Uint8Array): Graph | null {
  const graphField = readFields(model, 0, model.length).find((f) => f.field === 7 && f.wire === 2);
  if (!graphField) return null;
  const fields = readFields(model, graphField.dataStart, graphField.end);
  const graph: Graph = { model, graphField, fields, nodes: [], initializers: new Map(), names: new Set(), inputs: new Set(), outputs: new Set(), valueInfo: new Map(), consumers: new Map() };
  for (const f of fields) {
    if (f.wire !== 2) continue;
    if (f.field === 1) {
      const node = readNode(model, f);
      graph.nodes.push(node);
      for (const n of node.inputs) {
        graph.names.add(n);
        const readers = graph.consumers.get(n);
        if (readers) readers.push(node);
        else graph.consumers.set(n, [node]);
      }
      for (const n of node.outputs) graph.names.add(n);
    } else if (f.field === 5) {
      const { name, tensor } = readInitializer(model, f);
      if (tensor) graph.initializers.set(name, tensor);
      graph.names.add(name);
    } else if (f.field === 11 || f.field === 12 || f.field === 13) {
      // ValueInfoProto.name (1)
      const nameField = readFields(model, f.dataStart, f.end).find((g) => g.field === 1 && g.wire === 2);
      if (!nameField) continue;
      const name = text(model, nameField);
      if (f.field === 11) graph.inputs.add(name);
      else if (f.field === 12) graph.outputs.add(name);
      else graph.valueInfo.set(name, f);
    }
  }
  return graph;
}

/** A name not yet used in the graph, from `base`. */
export function freshName(graph: Graph, base: string): string {
  let name = base;
  for (let k = 1; graph.names.has(name); k++) name = `${base}_${k}`;
  graph.names.add(name);
  return name;
}

/** The integer attribute `name` of a node, or `fallback`. */
export function intAttribute(node: GraphNode, name: string, fallback: number): number {
  return node.attributes.find((a) => a.name === name)?.i ?? fallback;
}

/** An integer AttributeProto. */
export function intAttributeBytes(name: string, value: number): Uint8Array {
  return concatBytes([stringField(1, name), varintField(3, value), varintField(20, ATTRIBUTE_INT)]);
}

/** A GraphProto.node field. `attributes` are encoded AttributeProto messages. */
export function encodeNode(node: { opType: string; inputs: string[]; outputs: string[]; name?: string; domain?: string; attributes?: Uint8Array[] }): Uint8Array {
  const parts = [...node.inputs.map((n) => stringField(1, n)), ...node.outputs.map((n) => stringField(2, n))];
  if (node.name) parts.push(stringField(3, node.name));
  parts.push(stringField(4, node.opType));
  for (const a of node.attributes ?? []) parts.push(bytesField(5, a));
  if (node.domain) parts.push(stringField(7, node.domain));
  return bytesField(1, concatBytes(parts));
}

/** A GraphProto.initializer field holding float32 values. */
export function encodeInitializer(name: string, dims: number[], values: Float32Array): Uint8Array {
  const raw = new Uint8Array(values.length * 4);
  if (littleEndian) {
    raw.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  } else {
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  }
  return bytesField(5, concatBytes([...dims.map((d) => varintField(1, d)), varintField(2, FLOAT), stringField(8, name), bytesField(9, raw)]));
}

/**
 * The model with graph fields replaced (by zero or more encoded fields, in place) and new
 * fields appended to the graph; the bytes outside the graph are copied as they are.
 */
export function rebuildModel(graph: Graph, replace: Map<WireField, Uint8Array[]>, append: Uint8Array[]): Uint8Array {
  const { model, graphField } = graph;
  const parts: Uint8Array[] = [];
  for (const f of graph.fields) parts.push(...(replace.get(f) ?? [model.subarray(f.start, f.end)]));
  parts.push(...append);
  return concatBytes([model.subarray(0, graphField.start), bytesField(7, concatBytes(parts)), model.subarray(graphField.end)]);
}
