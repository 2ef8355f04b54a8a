import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { flushDenormalWeights } from "./onnx-denormals";

describe("flushDenormalWeights", () => {
  it("zeroes the denormal weights of fr_feature.onnx and leaves the model the same size", () => {
    const model = readFileSync(join(process.cwd(), "models", "fr_feature.onnx"));
    const size = model.length;
    const flushed = flushDenormalWeights(model);
    expect(flushed).toBeGreaterThan(1000);
    expect(model.length).toBe(size);
    // A second pass finds none: every denormal was reached.
    expect(flushDenormalWeights(model)).toBe(0);
  });

  it("flushes raw float data inside a hand-built ModelProto", () => {
    const denormal = Buffer.alloc(8);
    denormal.writeFloatLE(1e-40, 0);
    denormal.writeFloatLE(0.5, 4);
    // TensorProto { data_type: 1 (field 2), raw_data (field 9) }
    const tensor = Buffer.concat([Buffer.from([0x10, 0x01, 0x4a, denormal.length]), denormal]);
    const graph = Buffer.concat([Buffer.from([0x2a, tensor.length]), tensor]); // GraphProto.initializer = 5
    const model = Buffer.concat([Buffer.from([0x3a, graph.length]), graph]); // ModelProto.graph = 7
    expect(flushDenormalWeights(model)).toBe(1);
    const raw = model.subarray(model.length - 8);
    expect(raw.readFloatLE(0)).toBe(0);
    expect(raw.readFloatLE(4)).toBe(0.5);
  });
});
