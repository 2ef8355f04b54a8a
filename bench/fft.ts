/**
 * CPU time of the 2-D FFTs of the document spectra (lib/inference/document/cues/fft.ts): one
 * fft2d and one fft2dReal on 128 x 128 planes of noise, as spectrumAt runs per window. Not a
 * test: it prints figures.
 *
 *   npx tsx bench/fft.ts
 *   git show 14eaf93:lib/inference/document/cues/fft.ts > /tmp/fft-before.ts
 *   npx tsx bench/fft.ts --compare /tmp/fft-before.ts
 *
 * Times are the process's CPU milliseconds (user + system) per pair, median and minimum of
 * --runs runs of --reps pairs, less disturbed than wall time by other jobs on the cores.
 * With --compare, the other implementation runs interleaved with this one, run for run, so a
 * busy spell hits both; its outputs are first checked to be bit-identical (Object.is).
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import * as current from "@/lib/inference/document/cues/fft";

interface Fft {
  fft2d(re: Float64Array, im: Float64Array, n: number): void;
  fft2dReal(re: Float64Array, im: Float64Array, n: number): void;
}

const { values } = parseArgs({
  options: {
    compare: { type: "string" },
    runs: { type: "string", default: "15" },
    reps: { type: "string", default: "100" },
  },
});
const runs = Number(values.runs), reps = Number(values.reps);
const n = 128;

// mulberry32: white noise, mean zero, of the order of the windowed pixels.
let seed = 99;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
}
const red = Float64Array.from({ length: n * n }, () => random() * 255 - 128);
const green = Float64Array.from({ length: n * n }, () => random() * 255 - 128);

/** One window's FFTs with `fft`, on its own planes; returns them. */
function pair(fft: Fft): () => Float64Array[] {
  const zr = new Float64Array(n * n), zi = new Float64Array(n * n), br = new Float64Array(n * n), bi = new Float64Array(n * n);
  return () => {
    zr.set(red); zi.set(green); br.set(red);
    fft.fft2d(zr, zi, n);
    fft.fft2dReal(br, bi, n);
    return [zr, zi, br, bi];
  };
}

function cpuMs(run: () => unknown): number {
  const start = process.cpuUsage();
  for (let r = 0; r < reps; r++) run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / reps;
}

function summary(times: number[]): string {
  const sorted = times.slice().sort((a, b) => a - b);
  return `median ${sorted[sorted.length >> 1].toFixed(3)} ms, min ${sorted[0].toFixed(3)} ms`;
}

async function main(): Promise<void> {
  const subjects: Array<[string, () => Float64Array[]]> = [["fft.ts", pair(current)]];
  if (values.compare) {
    const other = (await import(resolve(values.compare))) as Fft;
    const run = pair(other);
    const a = subjects[0][1]().map((p) => p.slice()), b = run();
    let differing = 0;
    for (let p = 0; p < a.length; p++) for (let i = 0; i < n * n; i++) if (!Object.is(a[p][i], b[p][i])) differing++;
    console.log(`${values.compare}: ${differing} of ${4 * n * n} output values differ from fft.ts`);
    subjects.push([values.compare, run]);
  }

  // Warm-up, so that both are optimised before anything is timed.
  for (let i = 0; i < 300; i++) for (const [, run] of subjects) run();
  const times = subjects.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) subjects.forEach(([, run], s) => times[s].push(cpuMs(run)));
  subjects.forEach(([name], s) => console.log(`${name}: fft2d + fft2dReal, ${n} x ${n}: ${summary(times[s])} CPU per pair (${runs} runs of ${reps})`));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
