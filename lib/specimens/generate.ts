import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import type { Capture, SpecimenLabel } from "./captures";
import { captureDigital, captureGenuine, SPECIMEN_LABELS } from "./captures";
import type { DocumentKind, DocumentRaster } from "./document";
import { renderDocument } from "./document";
import { capturePrint } from "./print";
import { Rng } from "./rng";
import { captureScreen } from "./screen";

/**
 * The specimen set: `count` images, labels in turn genuine, screen, print, digital, so every
 * four consecutive images show the same document (one block) once as each; blocks alternate
 * ID-1 cards and passport pages. Image i depends only on (seed, i), never on the count or on
 * which worker made it, so a set can be extended and any image regenerated alone.
 */

export const DOCUMENT_KINDS: readonly DocumentKind[] = ["id1", "passport"];

/** The capture simulation of each label. */
export const CAPTURES: Record<SpecimenLabel, (doc: DocumentRaster, rng: Rng) => Promise<Capture>> = {
  genuine: captureGenuine,
  screen: captureScreen,
  print: capturePrint,
  digital: captureDigital,
};

/** One image of the plan: its index, block (document), label, kind and file name without extension. */
export interface PlannedSpecimen {
  index: number;
  block: number;
  label: SpecimenLabel;
  kind: DocumentKind;
  file: string;
}

/** One row of labels.csv. */
export interface SpecimenRow {
  file: string;
  label: SpecimenLabel;
  kind: DocumentKind;
  corners: Capture["corners"];
}

export const LABELS_HEADER = "file,label,kind,x1,y1,x2,y2,x3,y3,x4,y4";

/** Which label, document kind and file name each index gets (the file extension depends on the capture, so it is filled in later). */
export function planSpecimens(count: number, kinds: readonly DocumentKind[] = DOCUMENT_KINDS): PlannedSpecimen[] {
  if (kinds.length === 0) throw new Error("at least one document kind is needed");
  return Array.from({ length: count }, (_, index) => {
    const block = Math.floor(index / SPECIMEN_LABELS.length);
    const label = SPECIMEN_LABELS[index % SPECIMEN_LABELS.length];
    return { index, block, label, kind: kinds[block % kinds.length], file: `${String(index).padStart(6, "0")}_${label}` };
  });
}

/** One line of labels.csv; corners to 0.01 px. */
export function labelsLine(row: SpecimenRow): string {
  const xy = row.corners.flatMap(([x, y]) => [x, y]).map((v) => String(Math.round(v * 100) / 100));
  return [row.file, row.label, row.kind, ...xy].join(",");
}

/** Renders the block's document once and writes its specimens. */
export async function generateBlock(outDir: string, seed: number, items: readonly PlannedSpecimen[]): Promise<SpecimenRow[]> {
  if (items.length === 0) return [];
  const { block, kind } = items[0];
  const doc = await renderDocument(new Rng(seed, "document", block), kind);
  const rows: SpecimenRow[] = [];
  for (const item of items) {
    const capture = await CAPTURES[item.label](doc, new Rng(seed, "specimen", item.index));
    const file = `${item.file}.${capture.format === "png" ? "png" : "jpg"}`;
    await writeFile(join(outDir, file), capture.image);
    rows.push({ file, label: item.label, kind: item.kind, corners: capture.corners });
  }
  return rows;
}

export interface GenerateOptions {
  outDir: string;
  seed: number;
  count: number;
  kinds?: readonly DocumentKind[];
  /** Worker threads; 0 generates in this thread. Default: one per core, at most 4. */
  workers?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface GenerateSummary {
  outDir: string;
  seed: number;
  count: number;
  labels: Record<SpecimenLabel, number>;
  kinds: Record<DocumentKind, number>;
  workers: number;
  seconds: number;
}

/**
 * Runs blocks on worker threads (see worker.ts), each worker one block at a time. The first
 * failure empties the queue, so the other workers stop after their current block.
 */
async function runOnWorkers(workers: number, outDir: string, seed: number, blocks: PlannedSpecimen[][], onRows: (rows: SpecimenRow[]) => void): Promise<void> {
  // Worker threads load the TypeScript sources through tsx, like the inference pool's.
  const entry = new URL("./worker-entry.mjs", import.meta.url);
  const queue = [...blocks];
  const execArgv = process.execArgv.includes("--conditions=react-server") ? process.execArgv : [...process.execArgv, "--conditions=react-server"];
  const run = () =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(entry, { execArgv });
      const fail = (error: Error) => {
        queue.length = 0;
        void worker.terminate();
        reject(error);
      };
      worker.on("message", (message: { ready: true } | { rows: SpecimenRow[] } | { error: string }) => {
        if ("error" in message) return fail(new Error(message.error));
        if ("rows" in message) onRows(message.rows);
        const items = queue.shift();
        if (items) worker.postMessage({ outDir, seed, items });
        else void worker.terminate().then(() => resolve());
      });
      worker.on("error", fail);
      // terminate() ends a worker with exit code 1; anything else is a crash.
      worker.on("exit", (code) => {
        if (code !== 0 && code !== 1) fail(new Error(`specimen worker exited with code ${code}`));
      });
    });
  await Promise.all(Array.from({ length: Math.min(workers, blocks.length) }, run));
}

/**
 * Writes `count` specimens (balanced over genuine | screen | print | digital, and over
 * ID-1 and passport documents) and `labels.csv` (file,label,kind and the document's four
 * corners x1,y1..x4,y4 clockwise from its top-left, in output pixels) into `outDir`.
 * Deterministic in `seed`: the same seed writes byte-identical files.
 */
export async function generateSpecimens(options: GenerateOptions): Promise<GenerateSummary> {
  const { outDir, seed, count } = options;
  if (!Number.isInteger(count) || count < 0) throw new Error("count must be a non-negative integer");
  if (!Number.isInteger(seed)) throw new Error("seed must be an integer");
  const kinds = options.kinds ?? DOCUMENT_KINDS;
  const workers = options.workers ?? Math.min(4, availableParallelism());
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = performance.now();
  await mkdir(outDir, { recursive: true });

  const plan = planSpecimens(count, kinds);
  const blocks: PlannedSpecimen[][] = [];
  for (const item of plan) (blocks[item.block] ??= []).push(item);

  const rows: SpecimenRow[] = [];
  const every = Math.max(1, Math.min(20, Math.ceil(count / 10)));
  let reported = 0;
  const onRows = (done: SpecimenRow[]) => {
    rows.push(...done);
    if (rows.length - reported >= every || rows.length === count) {
      reported = rows.length;
      log(`specimens: ${rows.length}/${count} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
  };
  if (workers > 0 && blocks.length > 1) await runOnWorkers(workers, outDir, seed, blocks, onRows);
  else for (const items of blocks) onRows(await generateBlock(outDir, seed, items));

  rows.sort((a, b) => (a.file < b.file ? -1 : 1));
  await writeFile(join(outDir, "labels.csv"), `${[LABELS_HEADER, ...rows.map(labelsLine)].join("\n")}\n`);
  const labels = Object.fromEntries(SPECIMEN_LABELS.map((l) => [l, rows.filter((r) => r.label === l).length])) as Record<SpecimenLabel, number>;
  const kindCounts = Object.fromEntries(DOCUMENT_KINDS.map((k) => [k, rows.filter((r) => r.kind === k).length])) as Record<DocumentKind, number>;
  return { outDir, seed, count, labels, kinds: kindCounts, workers: workers > 0 && blocks.length > 1 ? Math.min(workers, blocks.length) : 0, seconds: Math.round((performance.now() - started) / 100) / 10 };
}

const CLI_USAGE = "usage: specimens --out DIR [--seed N] [--count N] [--kinds id1,passport] [--workers N]";

/**
 * `npm run vigil -- specimens --out DIR --seed N --count N`: generates a specimen set and
 * prints a one-line JSON summary on stdout (progress goes to stderr).
 */
export async function specimensCli(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: "string" },
      seed: { type: "string", default: "1" },
      count: { type: "string", default: "200" },
      kinds: { type: "string" },
      workers: { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const integer = (name: string, text: string | undefined, min: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}\n${CLI_USAGE}`);
    return n;
  };
  if (!values.out) throw new Error(`--out is required\n${CLI_USAGE}`);
  const kinds = values.kinds?.split(",").map((k) => k.trim()) ?? [...DOCUMENT_KINDS];
  for (const k of kinds) if (!DOCUMENT_KINDS.includes(k as DocumentKind)) throw new Error(`unknown kind '${k}' (id1, passport)\n${CLI_USAGE}`);
  const summary = await generateSpecimens({
    outDir: values.out,
    seed: integer("seed", values.seed, 0),
    count: integer("count", values.count, 1),
    kinds: kinds as DocumentKind[],
    ...(values.workers !== undefined ? { workers: integer("workers", values.workers, 0) } : {}),
  });
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}
