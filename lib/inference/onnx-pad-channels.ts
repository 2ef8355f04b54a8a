/**
 * Pads the pruned bottlenecks of an ONNX model to a multiple of 16 channels, so onnxruntime
 * runs them in its blocked (NCHWc) layout.
 *
 * fr_liveness.onnx (MiniFASNet) was channel-pruned: its bottlenecks expand to 13, 26, 52,
 * 77, 103, 231 or 308 channels. onnxruntime's CPU provider blocks convolutions 8 or 16
 * channels at a time and falls back to its plain, much slower kernels (and reorders between
 * the layouts) for a depthwise convolution whose channels are not a multiple of the block.
 * Each bottleneck here is
 *
 *   expand (1x1 Conv, C outputs) -> PRelu -> depthwise Conv (C groups) -> PRelu -> project (Conv, C inputs)
 *
 * and becomes the same with C rounded up to a multiple of 16: the expand convolution gets
 * output channels of zero weights and zero bias, which stay zero through PRelu and the
 * depthwise convolution (zero weights and bias too), and the projection reads them with zero
 * weights. The real channels compute what they computed before; the projection adds its terms
 * in a different order, so outputs differ by float rounding only (liveness logits by about
 * 1e-6; onnx-pad-channels.test.ts bounds it). Liveness ran 35% faster on this project's
 * 2-core EPYC (bench/inference.ts).
 *
 * Chains whose tensors or weights are read by anything else are left alone.
 */
import type { WireField } from "./onnx-wire";
import type { FloatInitializer, GraphNode } from "./onnx-graph";
import { encodeInitializer, encodeNode, floatValues, intAttribute, intAttributeBytes, readGraph, rebuildModel } from "./onnx-graph";
import { NCHWC_CHANNELS } from "./onnx-prelu";

/**
 * The model with its pruned bottlenecks padded (see above), and how many; the same bytes
 * when there are none.
 */
export function padChannels(model: Uint8Array): { model: Uint8Array; padded: number } {
  const graph = readGraph(model);
  if (!graph) return { model, padded: 0 };
  const { initializers, consumers } = graph;
  /** The one node reading `tensor`, when exactly one does. */
  const soleReader = (tensor: string): GraphNode | null => {
    const readers = consumers.get(tensor) ?? [];
    return readers.length === 1 ? readers[0] : null;
  };
  /** A float initializer read by `node` alone, with the expected rank. */
  const ownWeights = (node: GraphNode, input: number, rank: number) => {
    const name = node.inputs[input];
    const tensor = name ? initializers.get(name) : undefined;
    if (!tensor || tensor.dims.length !== rank || soleReader(name) !== node || graph.inputs.has(name)) return null;
    return { name, ...tensor };
  };
  const isConv = (n: GraphNode | null): n is GraphNode => n !== null && n.opType === "Conv" && (n.domain === "" || n.domain === "ai.onnx");
  const isPRelu = (n: GraphNode | null): n is GraphNode => n !== null && n.opType === "PRelu" && (n.domain === "" || n.domain === "ai.onnx");

  const replace = new Map<WireField, Uint8Array[]>();
  const claimed = new Set<GraphNode>();
  const weights = (t: { name: string; field: WireField }, dims: number[], values: Float32Array) => replace.set(t.field, [encodeInitializer(t.name, dims, values)]);
  let padded = 0;
  for (const expand of graph.nodes) {
    if (!isConv(expand) || intAttribute(expand, "group", 1) !== 1 || expand.outputs.length !== 1 || claimed.has(expand)) continue;
    const wExpand = ownWeights(expand, 1, 4);
    if (!wExpand) continue;
    const channels = wExpand.dims[0];
    if (channels % NCHWC_CHANNELS === 0) continue;
    const act1 = soleReader(expand.outputs[0]);
    const depthwise = act1 && soleReader(act1.outputs[0]);
    const act2 = depthwise && soleReader(depthwise.outputs[0]);
    const project = act2 && soleReader(act2.outputs[0]);
    if (!isPRelu(act1) || !isConv(depthwise) || !isPRelu(act2) || !isConv(project)) continue;
    if (intAttribute(depthwise, "group", 1) !== channels || intAttribute(project, "group", 1) !== 1 || project.inputs[0] !== act2.outputs[0]) continue;
    if ([act1, depthwise, act2, project].some((n) => claimed.has(n))) continue;
    // Tensors whose channel count changes: none may be a graph output.
    const widened = [expand.outputs[0], act1.outputs[0], depthwise.outputs[0], act2.outputs[0]];
    if (widened.some((t) => graph.outputs.has(t))) continue;
    const bExpand = expand.inputs[2] ? ownWeights(expand, 2, 1) : undefined;
    const slope1 = ownWeights(act1, 1, 3);
    const wDepthwise = ownWeights(depthwise, 1, 4);
    const bDepthwise = depthwise.inputs[2] ? ownWeights(depthwise, 2, 1) : undefined;
    const slope2 = ownWeights(act2, 1, 3);
    const wProject = ownWeights(project, 1, 4);
    if (bExpand === null || bDepthwise === null || !slope1 || !slope2 || !wDepthwise || !wProject) continue;
    if (slope1.dims[0] !== channels || slope2.dims[0] !== channels || wDepthwise.dims[0] !== channels || wDepthwise.dims[1] !== 1 || wProject.dims[1] !== channels) continue;

    const to = Math.ceil(channels / NCHWC_CHANNELS) * NCHWC_CHANNELS;
    /** Zero-pads dimension 0 (output channels) of a tensor to `to`. */
    const padFirst = (t: FloatInitializer) => {
      const values = new Float32Array((t.data.byteLength / 4 / t.dims[0]) * to);
      values.set(floatValues(t));
      return values;
    };
    weights(wExpand, [to, ...wExpand.dims.slice(1)], padFirst(wExpand));
    if (bExpand) weights(bExpand, [to], padFirst(bExpand));
    weights(slope1, [to, 1, 1], padFirst(slope1));
    weights(wDepthwise, [to, ...wDepthwise.dims.slice(1)], padFirst(wDepthwise));
    if (bDepthwise) weights(bDepthwise, [to], padFirst(bDepthwise));
    weights(slope2, [to, 1, 1], padFirst(slope2));
    // The projection's input channels (dimension 1), per output channel.
    const [outputs, , kh, kw] = wProject.dims;
    const inner = kh * kw;
    const projected = new Float32Array(outputs * to * inner);
    const original = floatValues(wProject);
    for (let o = 0; o < outputs; o++) projected.set(original.subarray(o * channels * inner, (o + 1) * channels * inner), o * to * inner);
    weights(wProject, [outputs, to, kh, kw], projected);
    replace.set(depthwise.field, [
      encodeNode({
        ...depthwise,
        attributes: depthwise.attributes.map((a) => (a.name === "group" ? intAttributeBytes("group", to) : a.bytes)),
      }),
    ]);
    // A recorded shape of a widened tensor would now be wrong; onnxruntime infers them anyway.
    for (const t of widened) {
      const info = graph.valueInfo.get(t);
      if (info) replace.set(info, []);
    }
    for (const n of [expand, act1, depthwise, act2, project]) claimed.add(n);
    padded++;
  }
  if (padded === 0) return { model, padded: 0 };
  return { model: rebuildModel(graph, replace, []), padded };
}
