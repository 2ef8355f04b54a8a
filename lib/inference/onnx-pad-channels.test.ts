import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { padChannels } from "./onnx-pad-channels";
import { rewritePRelu } from "./onnx-prelu";
import { readGraph } from "./onnx-graph";
import { loadFlushedModel, testSessionOptions } from "./testing/onnx";

const softmax = (xs: Float32Array) => {
  const max = Math.max(...xs);
  const e = Array.from(xs, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
};

describe("padChannels", () => {
  it("pads every pruned bottleneck of the liveness model to 16-channel multiples", () => {
    const { model, padded } = padChannels(loadFlushedModel("liveness"));
    expect(padded).toBe(15);
    const graph = readGraph(model)!;
    const depthwise = graph.nodes.filter((n) => n.opType === "Conv" && (n.attributes.find((a) => a.name === "group")?.i ?? 1) > 1);
    expect(depthwise.length).toBeGreaterThan(15);
    for (const conv of depthwise) expect(conv.attributes.find((a) => a.name === "group")!.i % 16).toBe(0);
  });

  it("leaves the liveness scores as they were, to float rounding", async () => {
    const original = loadFlushedModel("liveness");
    const padded = rewritePRelu(padChannels(original).model).model;
    const [a, b] = await Promise.all([ort.InferenceSession.create(original, testSessionOptions), ort.InferenceSession.create(padded, testSessionOptions)]);
    try {
      const dims = [1, 3, 128, 128];
      let seed = 99;
      for (let run = 0; run < 4; run++) {
        // Raw 0-255 BGR, as selfieLiveness feeds it: noise, then flat grey with noise on top.
        const x = new Float32Array(3 * 128 * 128);
        for (let i = 0; i < x.length; i++) {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          x[i] = run < 2 ? seed % 256 : 100 + (seed % 40);
        }
        const feed = (s: ort.InferenceSession) => ({ [s.inputNames[0]]: new ort.Tensor("float32", x, dims) });
        const [ya, yb] = await Promise.all([a.run(feed(a)), b.run(feed(b))]);
        const la = ya[a.outputNames[0]].data as Float32Array;
        const lb = yb[b.outputNames[0]].data as Float32Array;
        // Not bit-identical (the projections sum in another order), but far inside any band.
        expect(la).not.toEqual(new Float32Array(la.length));
        for (let i = 0; i < la.length; i++) expect(Math.abs(lb[i] - la[i])).toBeLessThan(1e-4);
        const [pa, pb] = [softmax(la), softmax(lb)];
        for (let i = 0; i < pa.length; i++) expect(Math.abs(pb[i] - pa[i])).toBeLessThan(1e-5);
      }
    } finally {
      await Promise.all([a.release(), b.release()]);
    }
  });

  it("leaves a model without pruned bottlenecks unchanged", () => {
    const feature = loadFlushedModel("feature");
    const { model, padded } = padChannels(feature);
    expect(padded).toBe(0);
    expect(model).toBe(feature);
  });
});
