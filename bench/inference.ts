/**
 * Inference speed on this machine: per-stage and end-to-end medians (warm and cold), and
 * throughput with concurrent requests. Prints figures; asserts nothing.
 *
 *   npm run bench:inference            (add -- --runs 60 --seconds 15 to change the effort)
 *
 * The two inputs are ~1000x1500 JPEG "selfies" (quality 90) cut from the pinned sample
 * photos, so the benchmark needs nothing beyond `npm install`.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compareFaces } from "@/lib/inference";
import { selfie } from "./lib/selfies";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "40" }, seconds: { type: "string", default: "10" }, "cold-runs": { type: "string", default: "5" }, "cold-child": { type: "string" } },
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];
const fmt = (v: number) => v.toFixed(1).padStart(7);

/** In a fresh process: from process start (module loading, workers, models) to the first compare's result. */
async function coldChild(dir: string): Promise<void> {
  const [a, b] = await Promise.all([readFile(join(dir, "a.jpg")), readFile(join(dir, "b.jpg"))]);
  await compareFaces(a, b);
  process.stdout.write(`${JSON.stringify({ firstResultMs: performance.now() })}\n`);
}

async function main(): Promise<void> {
  if (values["cold-child"]) return coldChild(values["cold-child"]);
  const runs = Number(values.runs);
  const seconds = Number(values.seconds);
  const a = await selfie("sample3.jpg", 0);
  const b = await selfie("sample6.jpg", 1);
  const dir = await mkdtemp(join(tmpdir(), "vigil-bench-"));
  await Promise.all([writeFile(join(dir, "a.jpg"), a), writeFile(join(dir, "b.jpg"), b)]);

  // Cold: a fresh process each time.
  const cold: number[] = [];
  for (let i = 0; i < Number(values["cold-runs"]); i++) {
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1], "--cold-child", dir], { encoding: "utf8" });
    const line = child.stdout.trim().split("\n").pop() ?? "";
    try {
      cold.push(JSON.parse(line).firstResultMs);
    } catch {
      console.error(child.stderr);
    }
  }

  for (let i = 0; i < 5; i++) await compareFaces(a, b);

  const stages: Record<string, number[]> = { decode: [], detect: [], landmarks: [], embed: [], liveness: [], analyze: [] };
  const compare: number[] = [];
  let similarity = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = await compareFaces(a, b);
    compare.push(performance.now() - t);
    similarity = r.similarity;
    for (const side of [r.probe, r.reference]) {
      for (const k of ["decode", "detect", "landmarks", "embed", "liveness"] as const) stages[k].push(side.timingsMs[k]);
      stages.analyze.push(side.timingsMs.total);
    }
  }

  const throughput: Record<number, number> = {};
  for (const concurrency of [1, 2, 4]) {
    let done = 0;
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          await compareFaces(a, b);
          done++;
        }
      }),
    );
    throughput[concurrency] = done / seconds;
  }

  console.log(`Vigil inference benchmark: two 1000x1500 JPEG selfies, liveness on both, ${runs} warm runs`);
  console.log(`similarity of the two (different people): ${similarity.toFixed(3)}\n`);
  console.log("stage (per image)       median     p95");
  for (const [k, xs] of Object.entries(stages)) console.log(`${k.padEnd(20)} ${fmt(median(xs))} ${fmt(p95(xs))}`);
  console.log(`\n1:1 compare, warm       ${fmt(median(compare))} ${fmt(p95(compare))}   ms`);
  console.log(`cold start to first result (fresh process, median of ${cold.length}): ${median(cold).toFixed(0)} ms  [${cold.map((c) => c.toFixed(0)).join(", ")}]`);
  for (const [c, rate] of Object.entries(throughput)) console.log(`throughput, ${c} concurrent: ${rate.toFixed(1)} compares/s`);
  console.log(
    JSON.stringify({
      compareMedianMs: +median(compare).toFixed(1),
      compareP95Ms: +p95(compare).toFixed(1),
      coldStartMedianMs: +median(cold).toFixed(0),
      throughput,
      stagesMedianMs: Object.fromEntries(Object.entries(stages).map(([k, xs]) => [k, +median(xs).toFixed(2)])),
    }),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
