/**
 * 1:N search on the embedded default (PGlite on disk): bulk enrollment rate, search latency
 * and recall of the HNSW index against exact search, at growing gallery sizes, on both paths:
 *
 *   npm run bench:search [-- --sizes 10000,100000 --probes 200 --runs 3 --paths hnsw,exact --ef 40,100,200]
 *
 * The gallery is synthetic (lib/search/synthetic.ts: identities of 5 faces each, calibrated on
 * faces-dev's genuine and impostor scores) plus, when ../shared/datasets/faces-dev is present,
 * its real faces: one photo of each of its 13 people enrolled among the synthetic ones, the
 * others used as probes (rank-1 = the right person first).
 *
 * Per path and size: faces/s of bulk enrollment (inserts and, for hnsw, the index build);
 * search latency excluding the probe's embedding (FAST and ACCURATE; per-run p50 and p95, and
 * the median over runs); recall@1 of FAST against ACCURATE (same person first).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { openPgliteDatabase } from "@/db/client";
import type { DatabaseHandle } from "@/db/client";
import { createProject } from "@/lib/auth/api-keys";
import { analyzeFaces, startInference, stopInference } from "@/lib/inference";
import { bulkEnroll } from "@/lib/search/bulk";
import { searchGallery } from "@/lib/search/search";
import type { SearchMode } from "@/lib/search/search";
import { syntheticGallery } from "@/lib/search/synthetic";
import { vectorLiteral } from "@/lib/search/vectors";
import { Rng } from "@/lib/specimens/rng";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10000,100000" },
    probes: { type: "string", default: "200" },
    runs: { type: "string", default: "3" },
    paths: { type: "string", default: "hnsw,exact" },
    ef: { type: "string", default: "" },
    dataset: { type: "string", default: join(process.cwd(), "..", "shared", "datasets", "faces-dev") },
  },
});
const sizes = values.sizes.split(",").map(Number);
const probeCount = Number(values.probes);
const runs = Number(values.runs);
const paths = values.paths.split(",") as Array<"hnsw" | "exact">;
const FACES_PER_IDENTITY = 5;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];
const fmt = (x: number, digits = 1) => x.toFixed(digits);

/** faces-dev's people: photos grouped by the "Yes" pairs of master.csv (connected components). */
async function realFaces(dir: string): Promise<Array<{ person: number; file: string; embedding: Float32Array }>> {
  const csv = join(dir, "master.csv");
  if (!existsSync(csv)) return [];
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    if (!parent.has(x)) parent.set(x, x);
    const p = parent.get(x)!;
    return p === x ? x : find(p);
  };
  for (const line of readFileSync(csv, "utf8").trim().split("\n").slice(1)) {
    const [a, b, decision] = line.split(",");
    find(a);
    find(b);
    if (decision.trim() === "Yes") parent.set(find(a), find(b));
  }
  const files = [...parent.keys()].sort();
  const roots = [...new Set(files.map(find))].sort();
  const out = [];
  for (const file of files) {
    try {
      const analysis = await analyzeFaces(readFileSync(join(dir, file)), { liveness: false });
      out.push({ person: roots.indexOf(find(file)), file, embedding: analysis.subject.embedding });
    } catch (error) {
      console.warn(`  faces-dev ${file}: ${(error as Error).message}`);
    }
  }
  return out;
}

async function timeSearches(handle: DatabaseHandle, projectId: string, probes: Float32Array[], mode: SearchMode, efSearch?: number) {
  const times: number[] = [];
  const tops: string[] = [];
  for (const probe of probes) {
    const t0 = performance.now();
    const hits = await searchGallery(handle.db, { projectId, probe, collectionIds: null, limit: 5, mode, minSimilarity: -1, efSearch });
    times.push(performance.now() - t0);
    tops.push(hits[0]?.personId ?? "");
  }
  return { times, tops };
}

async function benchOne(path: "hnsw" | "exact", size: number, real: Awaited<ReturnType<typeof realFaces>>) {
  const dir = mkdtempSync(join(tmpdir(), "vigil-bench-search-"));
  const handle = await openPgliteDatabase(join(dir, "pglite"), { searchIndex: path === "hnsw" ? "auto" : "exact" });
  try {
    const project = await createProject(handle.db, { slug: "bench", name: "Bench" });
    const identities = Math.round(size / FACES_PER_IDENTITY);
    // One distribution for both: synthetic faces lean the way real ones do and vary along the
    // directions real people differ in (see syntheticGallery).
    const gallery = syntheticGallery({ identities, facesPerIdentity: FACES_PER_IDENTITY, seed: 20261201, real });
    const synthetic = Array.from({ length: identities }, (_, id) => ({ name: `Synthetic ${id}`, embeddings: gallery.faces.slice(id * FACES_PER_IDENTITY, (id + 1) * FACES_PER_IDENTITY) }));
    // Real people: the first photo of each enrolled, the rest kept as probes.
    const realPeople = [...new Set(real.map((r) => r.person))];
    const enrolledReal = realPeople.map((p) => real.find((r) => r.person === p)!);
    const realProbes = real.filter((r) => !enrolledReal.includes(r));
    const load = await bulkEnroll(handle.db, {
      projectId: project.id,
      actor: "system:bench",
      persons: [...synthetic, ...enrolledReal.map((r) => ({ name: `Real ${r.person}`, externalRef: `real-${r.person}`, embeddings: [r.embedding] }))],
    });
    const rate = load.faces / (load.ms.total / 1000);
    console.log(`  ${path} ${size}: enrolled ${load.faces} faces in ${fmt(load.ms.total / 1000)} s (${fmt(rate, 0)} faces/s; inserts ${fmt(load.ms.insert / 1000)} s, index ${fmt(load.ms.index / 1000)} s)`);

    if (path === "hnsw") {
      const plan = (await handle.db.execute(
        sql`EXPLAIN SELECT id FROM person_faces WHERE project_id = ${project.id} AND embedding_vec IS NOT NULL ORDER BY embedding_vec <#> ${vectorLiteral(gallery.faces[0])}::vector LIMIT 20`,
      )) as unknown as { rows: Array<Record<string, string>> };
      const usesIndex = plan.rows.some((r) => Object.values(r)[0].includes("person_faces_embedding_hnsw"));
      console.log(`  plan uses the HNSW index: ${usesIndex}`);
    }

    const rng = new Rng(20261201, "probes", size);
    const probeIds = Array.from({ length: probeCount }, () => rng.int(0, identities - 1));
    const probes = probeIds.map((id) => gallery.probe(id, rng));
    // Warm-up: the exact path loads the gallery into memory on its first search.
    await timeSearches(handle, project.id, probes.slice(0, 3), "ACCURATE");
    await timeSearches(handle, project.id, probes.slice(0, 3), "FAST");

    const fastP50: number[] = [];
    const fastP95: number[] = [];
    const exactP50: number[] = [];
    const exactP95: number[] = [];
    let recall = 0;
    let correct = 0;
    for (let run = 0; run < runs; run++) {
      const fast = await timeSearches(handle, project.id, probes, "FAST");
      const exact = await timeSearches(handle, project.id, probes, "ACCURATE");
      fastP50.push(median(fast.times));
      fastP95.push(p95(fast.times));
      exactP50.push(median(exact.times));
      exactP95.push(p95(exact.times));
      if (run === 0) {
        recall = fast.tops.filter((t, i) => t === exact.tops[i]).length / probes.length;
        const names = new Map<string, string>();
        const rows = (await handle.db.execute(sql`SELECT id, name FROM persons WHERE project_id = ${project.id}`)) as unknown as { rows: Array<{ id: string; name: string }> };
        for (const r of rows.rows) names.set(r.id, r.name);
        correct = exact.tops.filter((t, i) => names.get(t) === `Synthetic ${probeIds[i]}`).length / probes.length;
      }
    }
    let realRank1 = "";
    if (realProbes.length > 0) {
      const rows = (await handle.db.execute(sql`SELECT id, external_ref FROM persons WHERE project_id = ${project.id} AND external_ref IS NOT NULL`)) as unknown as { rows: Array<{ id: string; external_ref: string }> };
      const refOf = new Map(rows.rows.map((r) => [r.id, r.external_ref]));
      for (const mode of ["FAST", "ACCURATE"] as const) {
        const { tops } = await timeSearches(handle, project.id, realProbes.map((r) => r.embedding), mode);
        const right = tops.filter((t, i) => refOf.get(t) === `real-${realProbes[i].person}`).length;
        realRank1 += ` ${mode} ${right}/${realProbes.length}`;
      }
    }
    // How the HNSW candidate list trades time for recall (the default is hnsw.ts MIN_EF_SEARCH).
    if (path === "hnsw" && values.ef) {
      const exact = await timeSearches(handle, project.id, probes, "ACCURATE");
      for (const ef of values.ef.split(",").map(Number)) {
        const fast = await timeSearches(handle, project.id, probes, "FAST", ef);
        const agree = fast.tops.filter((t, i) => t === exact.tops[i]).length / probes.length;
        console.log(`  ef_search ${ef}: p50 ${fmt(median(fast.times))} ms, recall@1 ${fmt(agree, 3)}`);
      }
    }
    const fastLabel = path === "hnsw" ? "FAST (HNSW)" : "FAST (exact: no index)";
    console.log(`  ${fastLabel}: p50 ${fmt(median(fastP50))} ms, p95 ${fmt(median(fastP95))} ms   [run p50s ${fastP50.map((x) => fmt(x)).join(", ")}]`);
    console.log(`  ACCURATE (exact): p50 ${fmt(median(exactP50))} ms, p95 ${fmt(median(exactP95))} ms   [run p50s ${exactP50.map((x) => fmt(x)).join(", ")}]`);
    console.log(`  recall@1 FAST vs exact: ${fmt(recall, 3)}; exact finds the probe's identity first: ${fmt(correct, 3)}${realRank1 ? `; faces-dev rank-1:${realRank1}` : ""}`);
    return { path, size, rate, fastP50: median(fastP50), exactP50: median(exactP50), recall };
  } finally {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  await startInference();
  const real = existsSync(values.dataset) ? await realFaces(values.dataset) : [];
  await stopInference();
  console.log(`1:N search bench: sizes ${sizes.join(", ")}; ${probeCount} probes x ${runs} runs; ${real.length} real faces from faces-dev`);
  const results = [];
  for (const path of paths) {
    for (const size of sizes) {
      console.log(`${path}, ${size} faces:`);
      results.push(await benchOne(path, size, real));
    }
  }
  console.log("\nsummary (medians over runs):");
  console.log("path   faces     enroll/s  FAST p50 ms  ACCURATE p50 ms  recall@1");
  for (const r of results) console.log(`${r.path.padEnd(6)} ${String(r.size).padEnd(9)} ${fmt(r.rate, 0).padStart(8)}  ${fmt(r.fastP50).padStart(11)}  ${fmt(r.exactP50).padStart(15)}  ${fmt(r.recall, 3).padStart(8)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
