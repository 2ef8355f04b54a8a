import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { rewritePRelu } from "./onnx-prelu";
import { readFields } from "./onnx-wire";
import { loadFlushedModel, testSessionOptions } from "./testing/onnx";

/** The op_type of every node of a model's graph. */
function opTypes(model: Uint8Array): string[] {
  const graph = readFields(model, 0, model.length).find((f) => f.field === 7)!;
  return readFields(model, graph.dataStart, graph.end)
    .filter((f) => f.field === 1)
    .map((node) => {
      const op = readFields(model, node.dataStart, node.end).find((g) => g.field === 4)!;
      return new TextDecoder().decode(model.subarray(op.dataStart, op.end));
    });
}

/** Pseudo-random inputs in the model's input range, the same on every run. */
function inputs(dims: number[], scale: number, offset: number, count: number): Float32Array[] {
  const n = dims.reduce((a, b) => a * b, 1);
  let seed = 12345;
  return Array.from({ length: count }, () => {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      x[i] = (seed / 2147483648) * scale + offset;
    }
    return x;
  });
}

describe("rewritePRelu", () => {
  it.each([
    // feature: (px - 127) / 128 in [-1, 1); liveness: raw 0-255.
    { key: "feature" as const, dims: [1, 3, 112, 112], scale: 2, offset: -1 },
    { key: "liveness" as const, dims: [1, 3, 128, 128], scale: 255, offset: 0 },
  ])("replaces every PRelu of $key and gives bit-identical outputs", async ({ key, dims, scale, offset }) => {
    const original = loadFlushedModel(key);
    const prelus = opTypes(original).filter((op) => op === "PRelu").length;
    expect(prelus).toBe(33);
    const { model, rewritten } = rewritePRelu(original);
    expect(rewritten).toBe(prelus);
    expect(opTypes(model)).not.toContain("PRelu");

    const [a, b] = await Promise.all([ort.InferenceSession.create(original, testSessionOptions), ort.InferenceSession.create(model, testSessionOptions)]);
    try {
      for (const x of inputs(dims, scale, offset, 3)) {
        const feed = (s: ort.InferenceSession) => ({ [s.inputNames[0]]: new ort.Tensor("float32", x, dims) });
        const [ya, yb] = await Promise.all([a.run(feed(a)), b.run(feed(b))]);
        const out = a.outputNames[0];
        expect(Array.from(yb[out].data as Float32Array)).toEqual(Array.from(ya[out].data as Float32Array));
      }
    } finally {
      await Promise.all([a.release(), b.release()]);
    }
  });

  it("returns a model without PRelu unchanged", () => {
    const detect = loadFlushedModel("detect");
    const { model, rewritten } = rewritePRelu(detect);
    expect(rewritten).toBe(0);
    expect(model).toBe(detect);
  });
});
