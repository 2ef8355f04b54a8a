/**
 * Replaces every PRelu of an ONNX model with operators that onnxruntime's CPU provider runs
 * faster, with bit-identical outputs.
 *
 * fr_feature.onnx and fr_liveness.onnx (MobileFaceNet and MiniFASNet style) apply a
 * per-channel PRelu after most convolutions. onnxruntime's PRelu kernel is a scalar
 * element-by-element select, and it cannot join the blocked (NCHWc) layout that the
 * convolutions run in, so each one also costs a reorder out of that layout and back: on this
 * project's 2-core EPYC, PRelu and its reorders were half of the embedding model's time.
 * Each PRelu becomes, by its slopes:
 *
 * - channels a multiple of 16 (the NCHWc block on AVX-512; 8 on AVX2): three 1x1 depthwise
 *   convolutions, which stay in the blocked layout,
 *     r = Relu(1 * x), n = Relu(-1 * x), y = (-slope) * n + r
 *   (onnxruntime fuses the Relus and the Add into the convolutions);
 * - otherwise (the liveness model's pruned 13, 26, 103... channels), when no slope exceeds 1,
 *   y = Max(x, slope * x): for x > 0, slope * x <= x, and for x < 0, slope * x >= x, whatever
 *   the sign of the slope;
 * - any other PRelu is left as it is.
 *
 * Both equal PRelu bit for bit: multiplying by 1 or -1 and adding a zero are exact, in the
 * sum one of the two terms is always zero, rounding is monotonic so Max picks the operand
 * PRelu's sign test picks, and the product left is the one PRelu computes. On the
 * two models the embedding ran 45% faster and liveness 30% faster (bench/inference.ts), and
 * onnx-prelu.test.ts checks the outputs are equal.
 */
import type { WireField } from "./onnx-wire";
import { encodeInitializer, encodeNode, floatValues, freshName, intAttributeBytes, readGraph, rebuildModel } from "./onnx-graph";

/** A multiple of onnxruntime's NCHWc block on every x86 CPU it blocks for (8 on AVX2, 16 on AVX-512). */
export const NCHWC_CHANNELS = 16;

/**
 * The model with its PRelu nodes rewritten (see above), or the same bytes when none qualify:
 * a PRelu qualifies when its slope is a finite float initializer stored in the model and one
 * of the two forms above applies.
 */
export function rewritePRelu(model: Uint8Array): { model: Uint8Array; rewritten: number } {
  const graph = readGraph(model);
  if (!graph) return { model, rewritten: 0 };
  const added: Uint8Array[] = [];
  const replace = new Map<WireField, Uint8Array[]>();
  const constants = new Map<string, string>();
  /** One shared initializer per distinct constant tensor. */
  const constant = (key: string, dims: number[], fill: () => Float32Array) => {
    let name = constants.get(key);
    if (!name) {
      name = freshName(graph, `vigil_prelu_${key}`);
      constants.set(key, name);
      added.push(encodeInitializer(name, dims, fill()));
    }
    return name;
  };
  const usesLeft = new Map<string, number>();

  let count = 0;
  for (const node of graph.nodes) {
    if (node.opType !== "PRelu" || (node.domain !== "" && node.domain !== "ai.onnx") || node.attributes.length > 0) continue;
    if (node.inputs.length !== 2 || node.outputs.length !== 1) continue;
    const [x, slopeName] = node.inputs;
    const [y] = node.outputs;
    const slope = graph.initializers.get(slopeName);
    if (!slope) continue;
    const values = floatValues(slope);
    // A NaN or infinite slope times a zero is NaN where PRelu gives the zero.
    if (!values.every(Number.isFinite)) continue;
    const channels = values.length;
    const p = freshName(graph, `vigil_prelu${count++}`);
    const perChannel = slope.dims.length === 3 && slope.dims[0] === channels && slope.dims[1] === 1 && slope.dims[2] === 1;
    if (perChannel && channels % NCHWC_CHANNELS === 0) {
      const dims = [channels, 1, 1, 1];
      const one = constant(`one${channels}`, dims, () => new Float32Array(channels).fill(1));
      const minusOne = constant(`minus_one${channels}`, dims, () => new Float32Array(channels).fill(-1));
      const minusSlope = freshName(graph, `${p}_minus_slope`);
      added.push(encodeInitializer(minusSlope, dims, values.map((v) => -v)));
      const [c1, r, c2, n, c3] = ["c1", "r", "c2", "n", "c3"].map((s) => freshName(graph, `${p}_${s}`));
      const group = [intAttributeBytes("group", channels)];
      replace.set(node.field, [
        encodeNode({ opType: "Conv", inputs: [x, one], outputs: [c1], attributes: group }),
        encodeNode({ opType: "Relu", inputs: [c1], outputs: [r] }),
        encodeNode({ opType: "Conv", inputs: [x, minusOne], outputs: [c2], attributes: group }),
        encodeNode({ opType: "Relu", inputs: [c2], outputs: [n] }),
        encodeNode({ opType: "Conv", inputs: [n, minusSlope], outputs: [c3], attributes: group }),
        encodeNode({ opType: "Add", inputs: [c3, r], outputs: [y] }),
      ]);
      // The slope lives on as -slope; drop it unless something else reads it.
      const left = (usesLeft.get(slopeName) ?? graph.consumers.get(slopeName)?.length ?? 1) - 1;
      usesLeft.set(slopeName, left);
      if (left === 0 && !graph.inputs.has(slopeName)) replace.set(slope.field, []);
    } else if (values.every((v) => v <= 1)) {
      const n = freshName(graph, `${p}_n`);
      replace.set(node.field, [encodeNode({ opType: "Mul", inputs: [x, slopeName], outputs: [n] }), encodeNode({ opType: "Max", inputs: [x, n], outputs: [y] })]);
    }
  }
  const rewritten = [...replace.values()].filter((parts) => parts.length > 0).length;
  if (rewritten === 0) return { model, rewritten: 0 };
  return { model: rebuildModel(graph, replace, added), rewritten };
}
