/**
 * Document liveness on SYNTHETIC specimens (lib/specimens: genuine captures, screen
 * recaptures, prints and digital originals of made-up ID-1 cards and passport pages, all
 * rendered and photographed by a simulated phone camera). Not a test: it prints figures.
 * No public labelled set of genuine vs recaptured document photos exists that could be used
 * here, so every figure it prints is on generated data and says so.
 *
 *   npx tsx --conditions=react-server bench/document-liveness.ts --seed 20261122 --count 200
 *   npx tsx --conditions=react-server bench/document-liveness.ts --dir /tmp/specimens
 *   npx tsx --conditions=react-server bench/document-liveness.ts --dir /tmp/seed1 --dir /tmp/seed2 --fit
 *
 * Per label: how many scored >= 0.25 (not auto-rejected), >= 0.5 (auto-accepted), < 0.25
 * (auto-rejected), the review rate (0.25-0.5) and the errors by code; corner IoU against the
 * generator's corners on genuine images; milliseconds per image in the worker (median, p95)
 * by frame size, and the process's CPU milliseconds per image (user + system over all its threads,
 * much less sensitive than wall time to other jobs sharing the cores). Images run one at a
 * time, so the times are single-image latency.
 *
 * `--fit` (on a TUNING seed only, never on the seed the figures are reported on) fits the
 * per-cue calibration and per-attack weights of lib/inference/document/score.ts by logistic
 * regression and prints them for freezing into that file.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { analyzeDocument, stopInference } from "@/lib/inference";
import type { DocumentAnalysis } from "@/lib/inference";
import { isAppError } from "@/lib/errors";
import type { DocumentFeatures } from "@/lib/inference/document/cues/measure";
import { quadIou } from "@/lib/inference/document/quad";
import type { Point } from "@/lib/inference/geometry";
import type { AttackType, CueName } from "@/lib/inference/document/score";
import { CUES } from "@/lib/inference/document/score";

const { values } = parseArgs({
  options: {
    dir: { type: "string", multiple: true },
    seed: { type: "string" },
    count: { type: "string", default: "200" },
    fit: { type: "boolean", default: false },
    features: { type: "string" },
    verbose: { type: "boolean", default: false },
  },
});

const REJECT_BELOW = 0.25;
const APPROVE_FROM = 0.5;

interface Specimen {
  file: string;
  label: string;
  kind: string;
  corners: Point[] | null;
}

interface Outcome {
  specimen: Specimen;
  analysis: DocumentAnalysis | null;
  /** Error code: a document error or an image AppError. */
  error: string | null;
  iou: number | null;
  workerMs: number;
  /** CPU time of the whole process (worker, its ONNX and libvips threads, the main thread's share) while the image ran. */
  cpuMs: number;
}

async function readLabels(dir: string): Promise<Specimen[]> {
  const lines = (await readFile(join(dir, "labels.csv"), "utf8")).trim().split(/\r?\n/);
  const header = lines[0].split(",");
  const col = (name: string) => header.indexOf(name);
  return lines.slice(1).map((line) => {
    const f = line.split(",");
    const xs = [1, 2, 3, 4].map((k) => [Number(f[col(`x${k}`)]), Number(f[col(`y${k}`)])] as Point);
    return {
      file: f[col("file")],
      label: f[col("label")],
      kind: f[col("kind")],
      corners: xs.every((p) => Number.isFinite(p[0]) && Number.isFinite(p[1])) && col("x1") >= 0 ? xs : null,
    };
  });
}

const pct = (n: number, d: number) => (d === 0 ? "    -" : `${((100 * n) / d).toFixed(1).padStart(5)}%`);
const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
};

function report(outcomes: Outcome[], source: string): void {
  console.log(`Document liveness on SYNTHETIC specimens (${source}). These figures are on generated images, not real captures.`);
  console.log(`Bands: auto-reject < ${REJECT_BELOW}, review ${REJECT_BELOW}-${APPROVE_FROM}, auto-accept >= ${APPROVE_FROM}. Errors (score null) are counted apart.\n`);
  const labels = [...new Set(outcomes.map((o) => o.specimen.label))].sort((a, b) => (a === "genuine" ? -1 : b === "genuine" ? 1 : a.localeCompare(b)));
  console.log("label      count  errors  scored   >=0.25   >=0.5    <0.25   review  errors by code");
  for (const label of labels) {
    const rows = outcomes.filter((o) => o.specimen.label === label);
    const scored = rows.filter((o) => o.analysis?.score != null);
    const s = scored.map((o) => o.analysis!.score!);
    const errors = new Map<string, number>();
    for (const o of rows) if (o.error) errors.set(o.error, (errors.get(o.error) ?? 0) + 1);
    console.log(
      `${label.padEnd(9)} ${String(rows.length).padStart(6)} ${String(rows.length - scored.length).padStart(7)} ${String(scored.length).padStart(7)}  ${pct(s.filter((v) => v >= REJECT_BELOW).length, s.length)}  ${pct(
        s.filter((v) => v >= APPROVE_FROM).length,
        s.length,
      )}  ${pct(s.filter((v) => v < REJECT_BELOW).length, s.length)}  ${pct(s.filter((v) => v >= REJECT_BELOW && v < APPROVE_FROM).length, s.length)}  ${[...errors].map(([c, n]) => `${c} ${n}`).join(", ") || "-"}`,
    );
  }
  const genuine = outcomes.filter((o) => o.specimen.label === "genuine" && o.specimen.corners);
  const ious = genuine.map((o) => o.iou ?? 0);
  console.log(
    `\nCorner IoU on genuine (${ious.length}; no outline counts as 0): >= 0.9 ${pct(ious.filter((v) => v >= 0.9).length, ious.length)}, p5 ${quantile(ious, 0.05).toFixed(3)}, median ${quantile(ious, 0.5).toFixed(3)}, min ${quantile(ious, 0).toFixed(3)}`,
  );
  const attacksLocated = outcomes.filter((o) => o.specimen.label !== "genuine" && o.specimen.corners && o.iou !== null).map((o) => o.iou!);
  if (attacksLocated.length) console.log(`Corner IoU on attacks with an outline (${attacksLocated.length}): >= 0.9 ${pct(attacksLocated.filter((v) => v >= 0.9).length, attacksLocated.length)}`);
  const bySize = new Map<string, Array<{ wall: number; cpu: number }>>();
  for (const o of outcomes) {
    if (!o.analysis) continue;
    const { width, height } = o.analysis.image;
    const key = width * height <= 1920 * 1080 ? "1080p and smaller" : width * height <= 3_200_000 ? "up to 3.2 MP (digital originals)" : "larger (3000x2000 photos, 600 dpi passport pages)";
    bySize.set(key, [...(bySize.get(key) ?? []), { wall: o.workerMs, cpu: o.cpuMs }]);
  }
  console.log("\nms per image in the worker (decode to score, one image at a time), wall and process CPU:");
  for (const [key, rows] of [...bySize].sort()) {
    const wall = rows.map((r) => r.wall), cpu = rows.map((r) => r.cpu);
    console.log(
      `  ${key.padEnd(50)} n=${String(rows.length).padStart(4)}  median ${quantile(wall, 0.5).toFixed(0).padStart(4)}  p95 ${quantile(wall, 0.95).toFixed(0).padStart(4)}  CPU median ${quantile(cpu, 0.5).toFixed(0).padStart(4)}  p95 ${quantile(cpu, 0.95).toFixed(0).padStart(4)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Fitting (tuning seeds only)

/** Logistic regression with weights >= 0 (except the bias), L2 penalty, balanced classes, by projected gradient descent on standardised inputs. */
function fitLogistic(xs: number[][], ys: number[], nonNegative: boolean, l2 = 0.01): { bias: number; weights: number[] } {
  const d = xs[0]?.length ?? 0;
  const mean = Array.from({ length: d }, (_, j) => xs.reduce((s, x) => s + x[j], 0) / xs.length);
  const sd = Array.from({ length: d }, (_, j) => Math.sqrt(xs.reduce((s, x) => s + (x[j] - mean[j]) ** 2, 0) / xs.length) || 1);
  const zs = xs.map((x) => x.map((v, j) => (v - mean[j]) / sd[j]));
  const pos = ys.filter((y) => y === 1).length, neg = ys.length - pos;
  const weightOf = (y: number) => (y === 1 ? ys.length / (2 * pos) : ys.length / (2 * neg));
  let b = 0;
  const w = new Array<number>(d).fill(0);
  const rate = 0.5;
  for (let iter = 0; iter < 4000; iter++) {
    let gb = 0;
    const gw = new Array<number>(d).fill(0);
    for (let i = 0; i < zs.length; i++) {
      const z = b + zs[i].reduce((s, v, j) => s + v * w[j], 0);
      const p = 1 / (1 + Math.exp(-z));
      const e = (p - ys[i]) * weightOf(ys[i]);
      gb += e;
      for (let j = 0; j < d; j++) gw[j] += e * zs[i][j];
    }
    b -= (rate * gb) / zs.length;
    for (let j = 0; j < d; j++) {
      w[j] -= rate * (gw[j] / zs.length + l2 * w[j]);
      if (nonNegative && w[j] < 0) w[j] = 0;
    }
  }
  // Back to raw feature units.
  const weights = w.map((v, j) => v / sd[j]);
  const bias = b - weights.reduce((s, v, j) => s + v * mean[j], 0);
  return { bias, weights };
}

function fit(outcomes: Outcome[]): void {
  const rows = outcomes.filter((o) => o.analysis?.features);
  const cueNames = Object.keys(CUES) as CueName[];
  const valueOf = (f: DocumentFeatures, name: CueName) => CUES[name].value(f);
  const genuine = rows.filter((o) => o.specimen.label === "genuine");
  const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
  console.log("\n// Fitted on a tuning seed; freeze into lib/inference/document/score.ts.");
  console.log("export const CUE_CALIBRATION: Record<CueName, { slope: number; midpoint: number }> = {");
  for (const name of cueNames) {
    const attack = CUES[name].attack as AttackType;
    const attackRows = rows.filter((o) => o.specimen.label === attack);
    const sample = [...genuine, ...attackRows];
    const { bias, weights } = fitLogistic(sample.map((o) => [valueOf(o.analysis!.features!, name)]), sample.map((o) => (o.specimen.label === attack ? 1 : 0)), true);
    const slope = weights[0];
    const midpoint = slope > 1e-9 ? -bias / slope : 0;
    console.log(`  ${name}: { slope: ${r4(slope)}, midpoint: ${r4(midpoint)} },`);
  }
  console.log("};");
  console.log("export const ATTACK_WEIGHTS: Record<AttackType, { bias: number; weights: Partial<Record<CueName, number>> }> = {");
  for (const attack of ["screen", "print", "digital"] as AttackType[]) {
    const names = cueNames.filter((n) => CUES[n].attack === attack);
    const attackRows = rows.filter((o) => o.specimen.label === attack);
    const sample = [...genuine, ...attackRows];
    const { bias, weights } = fitLogistic(sample.map((o) => names.map((n) => valueOf(o.analysis!.features!, n))), sample.map((o) => (o.specimen.label === attack ? 1 : 0)), true);
    console.log(`  ${attack}: { bias: ${r4(bias)}, weights: { ${names.map((n, j) => `${n}: ${r4(weights[j])}`).join(", ")} } },`);
  }
  console.log("};");
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const dirs = values.dir ?? [];
  let source = dirs.map((d) => `folder ${d}`).join(", ");
  if (dirs.length === 0) {
    if (!values.seed) throw new Error("give --dir DIR (repeatable) or --seed N [--count N]");
    const dir = await mkdtemp(join(tmpdir(), "vigil-specimens-"));
    const specimens = (await import("@/lib/specimens")) as { generateSpecimens: (o: { outDir: string; seed: number; count: number }) => Promise<unknown> };
    const started = performance.now();
    await specimens.generateSpecimens({ outDir: dir, seed: Number(values.seed), count: Number(values.count) });
    console.error(`generated ${values.count} specimens with seed ${values.seed} into ${dir} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    source = `lib/specimens seed ${values.seed}, ${values.count} images`;
    dirs.push(dir);
  }
  const outcomes: Outcome[] = [];
  for (const dir of dirs) {
    for (const specimen of await readLabels(dir)) {
      const bytes = await readFile(join(dir, specimen.file));
      const cpuBefore = process.cpuUsage();
      try {
        const analysis = await analyzeDocument(bytes, { side: "front" });
        const cpu = process.cpuUsage(cpuBefore);
        const iou = analysis.corners && specimen.corners ? quadIou(analysis.corners, specimen.corners) : null;
        outcomes.push({ specimen, analysis, error: analysis.error, iou, workerMs: analysis.timingsMs.total - analysis.timingsMs.queue, cpuMs: (cpu.user + cpu.system) / 1000 });
        if (values.verbose) console.error(specimen.file, specimen.label, specimen.kind, analysis.error ?? analysis.score, iou?.toFixed(3), analysis.cues?.decidedBy);
      } catch (error) {
        if (!isAppError(error)) throw error;
        outcomes.push({ specimen, analysis: null, error: error.code, iou: null, workerMs: 0, cpuMs: 0 });
      }
    }
  }
  report(outcomes, source);
  if (values.features) {
    const rows = outcomes.filter((o) => o.analysis?.features);
    const keys = Object.keys(rows[0]?.analysis?.features ?? {});
    const lines = [["file", "label", "kind", "score", "iou", ...keys].join(",")];
    for (const o of rows) lines.push([o.specimen.file, o.specimen.label, o.specimen.kind, o.analysis!.score, o.iou?.toFixed(4) ?? "", ...keys.map((k) => (o.analysis!.features as unknown as Record<string, number>)[k])].join(","));
    await writeFile(values.features, `${lines.join("\n")}\n`);
    console.error(`features of ${rows.length} images written to ${values.features}`);
  }
  if (values.fit) fit(outcomes);
  await stopInference();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
