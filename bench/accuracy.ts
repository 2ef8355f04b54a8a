/**
 * Face-recognition accuracy benchmark on the labelled faces-dev set
 * (../shared/datasets/faces-dev, see ../shared/datasets/README.md). Not a test: it prints
 * figures, a readable report and then one JSON line holding every figure.
 *
 * Measures, with liveness off:
 *  1. Clean images: every photo embedded once; over the master.csv pairs (and, as a second
 *     column, the pairs of face-recognition-pivot.csv, which covers more of the images),
 *     ROC AUC (exact, from ranks), TAR at FAR 1% and at FAR 0, the approve (>= 0.55) and
 *     reject (< 0.40) bands, the worst genuine and impostor pairs, and which images had no face.
 *  2. Rank-1 identification with one enrolled image per person (identities: union-find over
 *     the "Yes" pairs; the first file of each person in natural order is enrolled).
 *  3. Degraded probes (downscaled to 80/64/48 px faces, JPEG q30, blur, 15 degree rotation),
 *     each compared with the clean reference, as a selfie is with an ID photo.
 *  4. Median wall time of one analyzeFaces call on the clean images.
 *
 * A pair with an image that fails (no face, or any other error) scores MISSING_SCORE (-1): a
 * failure to acquire counts as a non-match, as it would in production.
 *
 * Run from the repository root (an optional argument overrides the dataset folder):
 *   npx tsx --conditions=react-server bench/accuracy.ts
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import sharp, { type Sharp } from "sharp";
import { analyzeFaces, cosineSimilarity } from "@/lib/inference";
import { isAppError } from "@/lib/errors";

const DATASET_DIR = path.resolve(process.argv[2] ?? path.join(process.cwd(), "..", "shared", "datasets", "faces-dev"));
const PAIRS_FILE = "master.csv";
/** Optional second pair list of the same folder (deepface's pivot): 61 of the images, 13 people. */
const PIVOT_FILE = "face-recognition-pivot.csv";
const IMAGE_EXTENSIONS = new Set([".jpg", ".jpeg", ".png", ".webp"]);

const APPROVE_AT = 0.55;
const REJECT_BELOW = 0.4;
const MISSING_SCORE = -1;
const WORST_PAIRS_SHOWN = 5;

// ---------------------------------------------------------------------------------------------
// Data

interface Pair {
  x: string;
  y: string;
  genuine: boolean;
}

/** One analysed image: the subject's embedding, or why there is none. */
interface Embedded {
  embedding: Float32Array | null;
  /** Error code when analysis failed (NO_FACE_FOUND, IMAGE_TOO_SMALL, ...). */
  error: string | null;
  faceCount: number;
  /** Height of the subject's box and width of the image, in pixels of the oriented image. */
  faceHeight: number | null;
  width: number | null;
  ms: number;
}

const byName = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });

async function listImages(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((n) => IMAGE_EXTENSIONS.has(path.extname(n).toLowerCase())).sort(byName);
}

/** Parses a file_x,file_y,decision CSV (any case, CRLF or LF); paths are reduced to file names. */
function parsePairs(text: string): Pair[] {
  const [header, ...rows] = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const columns = header.split(",").map((c) => c.trim().toLowerCase());
  const [ix, iy, id] = ["file_x", "file_y", "decision"].map((name) => columns.indexOf(name));
  if (ix < 0 || iy < 0 || id < 0) throw new Error(`pair list lacks file_x, file_y or decision: ${header}`);
  return rows.map((row) => {
    const cells = row.split(",").map((c) => c.trim());
    return { x: path.basename(cells[ix]), y: path.basename(cells[iy]), genuine: cells[id].toLowerCase() === "yes" };
  });
}

async function readPairs(file: string): Promise<Pair[]> {
  return parsePairs(await readFile(file, "utf8"));
}

// ---------------------------------------------------------------------------------------------
// Analysis

async function embed(bytes: Uint8Array): Promise<Embedded> {
  const started = performance.now();
  try {
    const analysis = await analyzeFaces(bytes, { liveness: false });
    const { box } = analysis.subject;
    return {
      embedding: analysis.subject.embedding,
      error: null,
      faceCount: analysis.faces.length,
      faceHeight: box.y2 - box.y1,
      width: analysis.image.width,
      ms: performance.now() - started,
    };
  } catch (error) {
    if (!isAppError(error)) throw error;
    const empty = { embedding: null, faceCount: 0, faceHeight: null, width: null };
    return { ...empty, error: error.code, ms: performance.now() - started };
  }
}

/** Embeds every image in turn (sequentially, so the timings are of one call at a time). */
async function embedAll(names: string[], load: (name: string) => Promise<Uint8Array | null>): Promise<Map<string, Embedded>> {
  const results = new Map<string, Embedded>();
  for (const name of names) {
    const bytes = await load(name);
    if (bytes) results.set(name, await embed(bytes));
  }
  return results;
}

function similarity(a: Embedded | undefined, b: Embedded | undefined): number {
  if (!a?.embedding || !b?.embedding) return MISSING_SCORE;
  return cosineSimilarity(a.embedding, b.embedding);
}

const failures = (results: Map<string, Embedded>) => [...results].filter(([, r]) => r.error !== null);

// ---------------------------------------------------------------------------------------------
// Metrics

interface Scored extends Pair {
  score: number;
}

interface Verification {
  genuine: number;
  impostor: number;
  auc: number;
  tarAtFar1: number;
  tarAtFar0: number;
  minGenuine: number;
  maxImpostor: number;
  genuineApproved: number;
  impostorRejected: number;
  impostorsAtOrAboveReject: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** ROC AUC as the Mann-Whitney statistic: average ranks, so ties count half. */
function rocAuc(genuine: number[], impostor: number[]): number {
  const all = [...genuine.map((s) => ({ s, g: true })), ...impostor.map((s) => ({ s, g: false }))].sort((a, b) => a.s - b.s);
  let genuineRankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j].s === all[i].s) j++;
    const averageRank = (i + 1 + j) / 2; // ranks i+1 .. j
    for (let k = i; k < j; k++) if (all[k].g) genuineRankSum += averageRank;
    i = j;
  }
  const n = genuine.length;
  return (genuineRankSum - (n * (n + 1)) / 2) / (n * impostor.length);
}

/**
 * Share of genuine scores strictly above the threshold that lets at most `far` of the
 * impostors through; at far 0 the threshold is the highest impostor score.
 */
function tarAtFar(genuine: number[], impostor: number[], far: number): number {
  const descending = [...impostor].sort((a, b) => b - a);
  const allowed = Math.floor(far * descending.length);
  const threshold = allowed < descending.length ? descending[allowed] : -Infinity;
  return genuine.filter((s) => s > threshold).length / genuine.length;
}

function verification(scored: Scored[]): Verification {
  const genuine = scored.filter((p) => p.genuine).map((p) => p.score);
  const impostor = scored.filter((p) => !p.genuine).map((p) => p.score);
  return {
    genuine: genuine.length,
    impostor: impostor.length,
    auc: rocAuc(genuine, impostor),
    tarAtFar1: tarAtFar(genuine, impostor, 0.01),
    tarAtFar0: tarAtFar(genuine, impostor, 0),
    minGenuine: Math.min(...genuine),
    maxImpostor: Math.max(...impostor),
    genuineApproved: genuine.filter((s) => s >= APPROVE_AT).length / genuine.length,
    impostorRejected: impostor.filter((s) => s < REJECT_BELOW).length / impostor.length,
    impostorsAtOrAboveReject: impostor.filter((s) => s >= REJECT_BELOW).length,
  };
}

// ---------------------------------------------------------------------------------------------
// Identification

/** Person clusters: union-find over the genuine pairs; each cluster in natural file order. */
function identities(pairs: Pair[]): string[][] {
  const parent = new Map<string, string>();
  const find = (a: string): string => {
    if (!parent.has(a)) parent.set(a, a);
    const p = parent.get(a)!;
    if (p === a) return a;
    const root = find(p);
    parent.set(a, root);
    return root;
  };
  for (const { x, y, genuine } of pairs) {
    const [rx, ry] = [find(x), find(y)];
    if (genuine && rx !== ry) parent.set(rx, ry);
  }
  const clusters = new Map<string, string[]>();
  for (const file of parent.keys()) {
    const root = find(file);
    clusters.set(root, [...(clusters.get(root) ?? []), file]);
  }
  return [...clusters.values()].map((c) => c.sort(byName)).sort((a, b) => byName(a[0], b[0]));
}

interface Identification {
  people: number;
  enrolled: number;
  probes: number;
  correct: number;
  rank1: number;
  misses: Array<{ probe: string; expected: string; got: string | null; score: number }>;
}

/** Enrolls the first image of each person and searches the gallery with every other image. */
function rank1(clusters: string[][], results: Map<string, Embedded>): Identification {
  const gallery = clusters.map((c) => c[0]).filter((file) => results.get(file)?.embedding);
  const probes = clusters.flatMap((c) => c.slice(1).map((file) => ({ file, expected: c[0] })));
  const misses: Identification["misses"] = [];
  for (const probe of probes) {
    let best: { file: string; score: number } | null = null;
    for (const file of gallery) {
      const score = similarity(results.get(probe.file), results.get(file));
      if (score > MISSING_SCORE && (!best || score > best.score)) best = { file, score };
    }
    if (best?.file !== probe.expected) misses.push({ probe: probe.file, expected: probe.expected, got: best?.file ?? null, score: best?.score ?? MISSING_SCORE });
  }
  const correct = probes.length - misses.length;
  return { people: clusters.length, enrolled: gallery.length, probes: probes.length, correct, rank1: correct / probes.length, misses };
}

// ---------------------------------------------------------------------------------------------
// Degradations

interface Degradation {
  name: string;
  /**
   * The degraded copy, or null when it cannot be made (no clean face to size it by): the image
   * is then left out of the degraded run and its pairs score MISSING_SCORE.
   */
  make(bytes: Uint8Array, clean: Embedded): Promise<Uint8Array | null>;
}

/**
 * Encodes a degraded copy as a near-lossless JPEG, as a phone would upload it (a PNG of a
 * rotated 13 MP photo exceeds the 15 MiB upload limit and would fail as IMAGE_TOO_LARGE).
 */
const encode = (image: Sharp) => image.jpeg({ quality: 95, chromaSubsampling: "4:4:4" }).toBuffer();

/** Downscale so the subject's face box is about `facePx` tall (never enlarges). */
function downscale(facePx: number): Degradation {
  return {
    name: `face ${facePx} px`,
    async make(bytes, clean) {
      if (!clean.faceHeight || !clean.width) return null;
      const scale = Math.min(1, facePx / clean.faceHeight);
      return encode(sharp(bytes).autoOrient().resize({ width: Math.max(1, Math.round(clean.width * scale)) }));
    },
  };
}

const longSide = async (bytes: Uint8Array) => {
  const { width, height } = await sharp(bytes).autoOrient().metadata();
  return Math.max(width ?? 0, height ?? 0);
};

const degradations: Degradation[] = [
  downscale(80),
  downscale(64),
  downscale(48),
  { name: "JPEG q30", make: (bytes) => sharp(bytes).autoOrient().jpeg({ quality: 30 }).toBuffer() },
  {
    name: "blur sigma 2/1000px",
    make: async (bytes) => encode(sharp(bytes).autoOrient().blur((2 * (await longSide(bytes))) / 1000)),
  },
  { name: "rotate 15 deg", make: (bytes) => encode(sharp(bytes).autoOrient().rotate(15, { background: "#808080" })) },
];

/** Every pair scored both ways: degraded x vs clean y, and degraded y vs clean x. */
function scoreDegraded(pairs: Pair[], degraded: Map<string, Embedded>, clean: Map<string, Embedded>): Scored[] {
  return pairs.flatMap((p) => [
    { ...p, score: similarity(degraded.get(p.x), clean.get(p.y)) },
    { ...p, x: p.y, y: p.x, score: similarity(degraded.get(p.y), clean.get(p.x)) },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Output

const fixed = (v: number, digits = 3) => v.toFixed(digits);
const percent = (v: number) => `${(v * 100).toFixed(1)}%`;

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  console.log(line(rows[0]));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(line(r));
}

/** One column of figures per pair set. */
function printVerification(title: string, sets: Array<{ name: string; v: Verification }>): void {
  console.log(`\n${title}`);
  const row = (label: string, value: (v: Verification) => string) => [label, ...sets.map((s) => value(s.v))];
  printTable([
    ["metric", ...sets.map((s) => s.name)],
    row("pairs (genuine / impostor)", (v) => `${v.genuine} / ${v.impostor}`),
    row("ROC AUC", (v) => fixed(v.auc, 4)),
    row("TAR @ FAR 1%", (v) => percent(v.tarAtFar1)),
    row("TAR @ FAR 0", (v) => percent(v.tarAtFar0)),
    row("min genuine similarity", (v) => fixed(v.minGenuine)),
    row("max impostor similarity", (v) => fixed(v.maxImpostor)),
    row(`genuine >= ${APPROVE_AT} (approve band)`, (v) => percent(v.genuineApproved)),
    row(`impostor < ${REJECT_BELOW} (reject band)`, (v) => percent(v.impostorRejected)),
    row(`impostors >= ${REJECT_BELOW}`, (v) => String(v.impostorsAtOrAboveReject)),
  ]);
}

interface WorstPairs {
  genuine: Scored[];
  impostor: Scored[];
}

function worstPairs(scored: Scored[]): WorstPairs {
  return {
    genuine: scored.filter((p) => p.genuine).sort((a, b) => a.score - b.score).slice(0, WORST_PAIRS_SHOWN),
    impostor: scored.filter((p) => !p.genuine).sort((a, b) => b.score - a.score).slice(0, WORST_PAIRS_SHOWN),
  };
}

function printWorst(sets: Array<{ name: string; worst: WorstPairs }>): void {
  console.log(`\nWorst pairs (lowest genuine, highest impostor)`);
  printTable([
    ["set", "kind", "file_x", "file_y", "similarity"],
    ...sets.flatMap(({ name, worst }) => [
      ...worst.genuine.map((p) => [name, "genuine", p.x, p.y, fixed(p.score)]),
      ...worst.impostor.map((p) => [name, "impostor", p.x, p.y, fixed(p.score)]),
    ]),
  ]);
}

function printIdentification(title: string, id: Identification): void {
  console.log(`${title}: ${id.correct}/${id.probes} = ${percent(id.rank1)} (${id.people} people, ${id.enrolled} enrolled)`);
  for (const m of id.misses) console.log(`  miss: ${m.probe} (enrolled ${m.expected}) -> ${m.got ?? "no face"} at ${fixed(m.score)}`);
}

const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;

function roundAll<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_, v) => (typeof v === "number" ? round(v) : v)));
}

// ---------------------------------------------------------------------------------------------

interface PairSet {
  name: string;
  pairs: Pair[];
}

/** master.csv, and the pivot list when present (it covers 61 of the images, master.csv 25). */
async function readPairSets(dir: string): Promise<PairSet[]> {
  const sets: PairSet[] = [{ name: PAIRS_FILE, pairs: await readPairs(path.join(dir, PAIRS_FILE)) }];
  const pivot = path.join(dir, PIVOT_FILE);
  if (existsSync(pivot)) sets.push({ name: PIVOT_FILE, pairs: await readPairs(pivot) });
  return sets;
}

interface DegradedRow {
  name: string;
  attempted: number;
  /** Images that failed: NO_FACE_FOUND, or any other error code. */
  failed: Array<{ file: string; error: string }>;
  /** Median subject box height of the degraded copies, in pixels. */
  medianFacePx: number;
  bySet: Array<{ name: string; v: Verification }>;
}

async function runDegradations(images: string[], bytesOf: Map<string, Uint8Array>, clean: Map<string, Embedded>, sets: PairSet[]): Promise<DegradedRow[]> {
  const rows: DegradedRow[] = [];
  for (const d of degradations) {
    const results = await embedAll(images, (name) => d.make(bytesOf.get(name)!, clean.get(name)!));
    const faces = [...results.values()].flatMap((r) => (r.faceHeight === null ? [] : [r.faceHeight]));
    rows.push({
      name: d.name,
      attempted: results.size,
      failed: failures(results).map(([file, r]) => ({ file, error: r.error! })),
      medianFacePx: median(faces),
      bySet: sets.map((s) => ({ name: s.name, v: verification(scoreDegraded(s.pairs, results, clean)) })),
    });
  }
  return rows;
}

function printDegraded(rows: DegradedRow[]): void {
  console.log(`\nDegraded probe vs clean reference (selfie vs ID: each pair scored both ways, degraded x vs clean y`);
  console.log(`and degraded y vs clean x; a failed image scores ${MISSING_SCORE}; "failed" and "face px" are over all images)`);
  printTable([
    ["degradation", "face px", "failed", "pairs", "AUC", "TAR@FAR1%", "TAR@FAR0", "min gen", "max imp", `gen>=${APPROVE_AT}`, `imp>=${REJECT_BELOW}`],
    ...rows.flatMap((r) =>
      r.bySet.map(({ name, v }, i) => [
        i === 0 ? r.name : "",
        i === 0 ? r.medianFacePx.toFixed(0) : "",
        i === 0 ? `${r.failed.length}/${r.attempted}` : "",
        name,
        fixed(v.auc, 4),
        percent(v.tarAtFar1),
        percent(v.tarAtFar0),
        fixed(v.minGenuine),
        fixed(v.maxImpostor),
        percent(v.genuineApproved),
        String(v.impostorsAtOrAboveReject),
      ]),
    ),
  ]);
  for (const r of rows.filter((row) => row.failed.length > 0)) {
    console.log(`  ${r.name} failed: ${r.failed.map((f) => `${f.file} [${f.error}]`).join(", ")}`);
  }
}

async function main(): Promise<void> {
  if (!existsSync(DATASET_DIR)) {
    console.log(`faces-dev dataset not found at ${DATASET_DIR}; skipping the accuracy benchmark.`);
    return;
  }
  const images = await listImages(DATASET_DIR);
  const sets = await readPairSets(DATASET_DIR);
  const bytesOf = new Map<string, Uint8Array>();
  for (const name of images) bytesOf.set(name, await readFile(path.join(DATASET_DIR, name)));

  console.log(`faces-dev: ${images.length} images`);
  for (const { name, pairs } of sets) {
    const files = new Set(pairs.flatMap((p) => [p.x, p.y]));
    const absent = [...files].filter((f) => !bytesOf.has(f));
    const genuine = pairs.filter((p) => p.genuine).length;
    console.log(`  ${name}: ${pairs.length} pairs (${genuine} genuine) over ${files.size} images${absent.length ? `; not in the folder: ${absent.join(", ")}` : ""}`);
  }

  // Warm-up: the first call loads the models; it is not timed.
  await embed(bytesOf.get(images[0])!);

  // 1. Clean images.
  const clean = await embedAll(images, async (name) => bytesOf.get(name)!);
  const cleanFailures = failures(clean);
  const multiFace = [...clean].filter(([, r]) => r.faceCount > 1);
  console.log(`\nNo face / failed (${cleanFailures.length}/${images.length}): ${cleanFailures.map(([file, r]) => `${file} [${r.error}]`).join(", ") || "none"}`);
  console.log(`More than one face detected: ${multiFace.map(([f, r]) => `${f} (${r.faceCount})`).join(", ") || "none"}`);
  const cleanSets = sets.map(({ name, pairs }) => {
    const scored = pairs.map((p) => ({ ...p, score: similarity(clean.get(p.x), clean.get(p.y)) }));
    return { name, v: verification(scored), worst: worstPairs(scored) };
  });
  printVerification("Clean images", cleanSets);
  printWorst(cleanSets);

  // 2. Rank-1 identification, identities from master.csv, then from all pair lists together.
  console.log("");
  const identification = sets.map((_, i) => {
    const used = sets.slice(0, i + 1);
    const title = `Rank-1, identities from ${used.map((s) => s.name).join(" + ")}`;
    const id = rank1(identities(used.flatMap((s) => s.pairs)), clean);
    printIdentification(title, id);
    return { identitiesFrom: used.map((s) => s.name), ...id };
  });

  // 3. Degraded probe vs clean reference.
  const degraded = await runDegradations(images, bytesOf, clean, sets);
  printDegraded(degraded);

  // 4. Timing.
  const cleanMs = [...clean.values()].map((r) => r.ms);
  const medianMs = median(cleanMs);
  console.log(`\nanalyzeFaces (liveness off), clean set: median ${medianMs.toFixed(1)} ms per call over ${cleanMs.length} calls`);

  const summary = {
    dataset: { dir: DATASET_DIR, images: images.length, pairSets: sets.map((s) => ({ name: s.name, pairs: s.pairs.length })) },
    clean: {
      noFace: cleanFailures.map(([file, r]) => ({ file, error: r.error })),
      multiFace: multiFace.map(([file, r]) => ({ file, faces: r.faceCount })),
      bySet: cleanSets.map(({ name, v, worst }) => ({
        name,
        ...v,
        worstGenuine: worst.genuine.map(({ x, y, score }) => ({ x, y, score })),
        worstImpostor: worst.impostor.map(({ x, y, score }) => ({ x, y, score })),
      })),
    },
    rank1: identification,
    degraded: degraded.map(({ bySet, ...rest }) => ({ ...rest, bySet: bySet.map(({ name, v }) => ({ name, ...v })) })),
    timing: { medianMs, calls: cleanMs.length },
  };
  console.log(JSON.stringify(roundAll(summary)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
