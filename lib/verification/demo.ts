import "server-only";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import type { Database } from "@/db/client";
import { isAppError } from "@/lib/errors";
import { newId } from "@/lib/ids";
import type { Face, FaceAnalysis } from "@/lib/inference";
import { analyzeFaces, cosineSimilarity } from "@/lib/inference";
import { CONFIDENT_FACE_SCORE } from "@/lib/inference/detect";
import { createCollection } from "@/lib/search/collections";
import { createPerson } from "@/lib/search/persons";
import type { ImageStore } from "@/lib/storage";
import type { PolicyBands } from "./policy";
import { bandFor, getActivePolicy } from "./policy";
import type { VerificationStatus, VerificationType } from "./service";
import { hashRequest, runFaceVerification } from "./service";

/**
 * First-run demo data: about a dozen verifications made from the pinned sample photos
 * (models/manifest.json, group photos from @vladmandic/face-api's demo), so a newcomer finds
 * approved, rejected and open review cases in the console.
 *
 * Every selfie is a portrait cut around one face of a sample photo; every reference is a
 * document-style rendition (greyscale, small) of a face. The photos share few people, so
 * besides the cross-photo pairs the plan also uses renditions of the selfie's own face, and
 * for the review band a blurred document photo (similarity drops as the blur grows) or a
 * washed-out, recaptured-looking selfie (liveness drops as it fades). The blur and the fade
 * are searched at seed time against the project's policy, like every pair, so the mix holds
 * when a model or a band changes.
 *
 * Then a few faces are enrolled as customers (a "Customers" collection for 1:N search), and one
 * last verification brings a selfie of an enrolled customer under a new applicant reference:
 * the duplicate check sends it to review as a possible duplicate.
 */

/** The mix aimed for: enough of each band to show every part of the console. */
const TARGET = { approved: 5, review: 5, rejected: 3 };
/** Selfies as a phone front camera would give them: 2:3 portrait, face about a third of the height. */
const SELFIE = { width: 600, height: 900, faceHeights: 2.6, tighterFaceHeights: 1.9 };
/** Document photos: a small greyscale head-and-shoulders portrait, like an ID card scan. */
const DOCUMENT = { width: 300, height: 450, faceHeights: 1.8 };
/** Halvings of the blur and fade searches: 7 narrow a range to 1/128 of itself. */
const SEARCH_STEPS = 7;

interface Portrait {
  /** sample3.jpg#1: the second face from the left. */
  label: string;
  photo: string;
  selfie: Buffer;
  liveness: number;
  embedding: Float32Array;
  document: Buffer;
  documentEmbedding: Float32Array;
}

interface Plan {
  type: VerificationType;
  selfie: Buffer;
  reference: Buffer | null;
  /** Scores measured while planning; the verification measures them again on the same bytes. */
  similarity: number | null;
  liveness: number;
  expected: VerificationStatus;
  /** Labels of the faces used, the selfie's first. */
  faces: string[];
}

/** Reads the sample photos; they are fetched at install (`npm run fetch-assets`). */
async function readSamplePhotos(): Promise<Array<{ file: string; bytes: Buffer }>> {
  // turbopackIgnore: the photos are read at run time, not traced into the build.
  const dir = join(/* turbopackIgnore: true */ process.cwd(), "samples");
  const files = await readdir(dir).catch(() => [] as string[]);
  const photos = files.filter((f) => /\.jpe?g$/i.test(f)).sort();
  if (photos.length === 0) throw new Error(`no sample photos in ${dir}: run 'npm run fetch-assets'`);
  return Promise.all(photos.map(async (file) => ({ file, bytes: await readFile(join(/* turbopackIgnore: true */ dir, file)) })));
}

/** A 2:3 window `faceHeights` face heights tall around a face, kept inside the image. */
function portraitWindow(image: { width: number; height: number }, face: Face, faceHeights: number) {
  const height = Math.min(image.height, Math.round((face.box.y2 - face.box.y1) * faceHeights), Math.floor((image.width * 3) / 2));
  const width = Math.round((height * 2) / 3);
  const cx = (face.box.x1 + face.box.x2) / 2;
  const cy = (face.box.y1 + face.box.y2) / 2;
  // The face sits a little above the middle, as in a selfie.
  const left = Math.max(0, Math.min(image.width - width, Math.round(cx - width / 2)));
  const top = Math.max(0, Math.min(image.height - height, Math.round(cy - height / 2.4)));
  return { left, top, width, height };
}

/** A sample photo decoded to raw pixels, upright. */
interface DecodedPhoto {
  data: Buffer;
  info: { width: number; height: number; channels: 1 | 2 | 3 | 4 };
}

/** Analysis of a demo image, or null when it lost its face (or gained a second one). */
async function analyse(bytes: Buffer, options: { liveness: boolean; requireSingleFace?: boolean }): Promise<FaceAnalysis | null> {
  try {
    return await analyzeFaces(bytes, options);
  } catch (error) {
    if (isAppError(error) && (error.code === "NO_FACE_FOUND" || error.code === "MULTIPLE_FACES")) return null;
    throw error;
  }
}

/** The face in the middle third of the image is the one the window was cut around. */
function isCentred(analysis: FaceAnalysis): boolean {
  const cx = (analysis.subject.box.x1 + analysis.subject.box.x2) / 2 / analysis.image.width;
  return cx > 1 / 3 && cx < 2 / 3;
}

/**
 * A selfie and a document photo of one face of a photo, each analysed; null when no crop
 * shows that face alone (a neighbour's face too close).
 */
async function cutPortrait(file: string, photo: DecodedPhoto, face: Face, nth: number): Promise<Portrait | null> {
  const image = photo.info;
  const documentBytes = sharp(photo.data, { raw: photo.info })
    .extract(portraitWindow(image, face, DOCUMENT.faceHeights))
    .resize(DOCUMENT.width, DOCUMENT.height, { fit: "fill" })
    .greyscale()
    .jpeg({ quality: 75 })
    .toBuffer();
  for (const faceHeights of [SELFIE.faceHeights, SELFIE.tighterFaceHeights]) {
    const selfie = await sharp(photo.data, { raw: photo.info })
      .extract(portraitWindow(image, face, faceHeights))
      .resize(SELFIE.width, SELFIE.height, { fit: "fill" })
      .jpeg({ quality: 90 })
      .toBuffer();
    // The checks refuse a selfie with a second confident face (MULTIPLE_FACES).
    const analysis = await analyse(selfie, { liveness: true, requireSingleFace: true });
    if (!analysis || !isCentred(analysis)) continue;
    const document = await documentBytes;
    const documentAnalysis = await analyse(document, { liveness: false });
    if (!documentAnalysis || !isCentred(documentAnalysis)) return null;
    return {
      label: `${file}#${nth}`,
      photo: file,
      selfie,
      liveness: analysis.subject.liveness ?? 0,
      embedding: analysis.subject.embedding,
      document,
      documentEmbedding: documentAnalysis.subject.embedding,
    };
  }
  return null;
}

/** Every confident face of every sample photo as a portrait, photos in name order, faces left to right. */
async function collectPortraits(): Promise<Portrait[]> {
  const photos = await readSamplePhotos();
  const perPhoto = await Promise.all(
    photos.map(async ({ file, bytes }) => {
      // Decoded once for all its crops; face boxes are in the oriented image's pixels.
      const [analysis, decoded] = await Promise.all([analyzeFaces(bytes, { liveness: false }), sharp(bytes).autoOrient().raw().toBuffer({ resolveWithObject: true })]);
      const faces = analysis.faces.filter((f) => f.score >= CONFIDENT_FACE_SCORE).sort((a, b) => a.box.x1 - b.box.x1);
      return Promise.all(faces.map((face, nth) => cutPortrait(file, decoded, face, nth)));
    }),
  );
  return perPhoto.flat().filter((p): p is Portrait => p !== null);
}

function expectedStatus(bands: PolicyBands, type: VerificationType, similarity: number | null, liveness: number): VerificationStatus {
  const found = [
    ...(type === "selfie_liveness" ? [] : [bandFor(similarity ?? 0, bands.face_match)]),
    ...(type === "face_match" ? [] : [bandFor(liveness, bands.selfie_liveness)]),
  ];
  if (found.includes("reject")) return "rejected";
  return found.includes("review") ? "in_review" : "approved";
}

/**
 * Searches a degradation's strength in [lo, hi] for a score in the review band [min, max),
 * assuming the score falls as the strength grows; a strength at which the face is lost
 * counts as too strong. Returns the image and its score, or null when no step lands.
 */
async function searchReviewBand(
  lo: number,
  hi: number,
  band: { min: number; max: number },
  measure: (strength: number) => Promise<{ bytes: Buffer; score: number } | null>,
): Promise<{ bytes: Buffer; score: number } | null> {
  for (let step = 0; step < SEARCH_STEPS; step++) {
    const strength = (lo + hi) / 2;
    const result = await measure(strength);
    if (result && result.score >= band.min && result.score < band.max) return result;
    if (result && result.score >= band.max) lo = strength;
    else hi = strength;
  }
  return null;
}

/**
 * Picks the verifications to make, by scores measured against the project's bands: the plan
 * says which status each should get, and the faces used are spread over as many people as
 * the photos allow.
 */
async function planVerifications(portraits: Portrait[], bands: PolicyBands): Promise<Plan[]> {
  const plans: Plan[] = [];
  const count = (status: VerificationStatus) => plans.filter((p) => p.expected === status).length;
  const usedSelfies = new Set<string>();
  const isLive = (p: Portrait) => bandFor(p.liveness, bands.selfie_liveness) === "approve";
  const freshLive = () => portraits.filter((p) => isLive(p) && !usedSelfies.has(p.label));
  const add = (plan: Omit<Plan, "expected">) => {
    const expected = expectedStatus(bands, plan.type, plan.similarity, plan.liveness);
    plans.push({ ...plan, expected });
    usedSelfies.add(plan.faces[0]);
    return expected;
  };
  // Every selfie against every other photo's document photo, most similar first.
  const pairs = portraits
    .flatMap((selfie) =>
      portraits.filter((ref) => ref.photo !== selfie.photo).map((ref) => ({ selfie, ref, similarity: cosineSimilarity(selfie.embedding, ref.documentEmbedding) })),
    )
    .sort((a, b) => b.similarity - a.similarity);
  const match = { min: bands.face_match.review, max: bands.face_match.approve };
  const live = { min: bands.selfie_liveness.review, max: bands.selfie_liveness.approve };
  const pairedPeople = new Set<string>();
  const unpaired = (a: Portrait, b: Portrait) => !pairedPeople.has(a.label) && !pairedPeople.has(b.label);
  const crossPair = (type: VerificationType, pair: (typeof pairs)[number]) => {
    pairedPeople.add(pair.selfie.label).add(pair.ref.label);
    return add({ type, selfie: pair.selfie.selfie, reference: pair.ref.document, similarity: pair.similarity, liveness: pair.selfie.liveness, faces: [pair.selfie.label, pair.ref.label] });
  };

  // Approved: the same person in two photos, then selfies against their own document photo.
  for (const pair of pairs.filter((p) => p.similarity >= match.max && isLive(p.selfie))) {
    if (count("approved") >= 2) break;
    if (unpaired(pair.selfie, pair.ref)) crossPair("face_match_liveness", pair);
  }
  for (const p of freshLive()) {
    if (count("approved") >= TARGET.approved - 1) break;
    const similarity = cosineSimilarity(p.embedding, p.documentEmbedding);
    if (similarity < match.max) continue;
    const type = count("approved") === TARGET.approved - 2 ? "face_match" : "face_match_liveness";
    add({ type, selfie: p.selfie, reference: p.document, similarity, liveness: p.liveness, faces: [p.label] });
  }
  const liveOnly = freshLive()[0];
  if (liveOnly) add({ type: "selfie_liveness", selfie: liveOnly.selfie, reference: null, similarity: null, liveness: liveOnly.liveness, faces: [liveOnly.label] });

  // Review: two photos whose similarity is in the band, a blurred document photo, a faded selfie.
  const blurred = async (type: VerificationType) => {
    for (const p of freshLive()) {
      const found = await searchReviewBand(1, 16, match, async (sigma) => {
        const bytes = await sharp(p.document).blur(sigma).jpeg({ quality: 75 }).toBuffer();
        const analysis = await analyse(bytes, { liveness: false });
        return analysis && { bytes, score: cosineSimilarity(p.embedding, analysis.subject.embedding) };
      });
      if (found) return add({ type, selfie: p.selfie, reference: found.bytes, similarity: found.score, liveness: p.liveness, faces: [p.label] });
      usedSelfies.add(p.label);
    }
    return null;
  };
  const embeddings = new Map<Buffer, Float32Array>();
  const faded = async (type: VerificationType) => {
    for (const p of freshLive()) {
      // Washed out toward white, as a photo of a screen or a print comes out.
      const selfie = await searchReviewBand(0, 1, live, async (t) => {
        const bytes = await sharp(p.selfie).linear(1 - 0.7 * t, 200 * t).jpeg({ quality: 90 }).toBuffer();
        const analysis = await analyse(bytes, { liveness: true, requireSingleFace: true });
        if (!analysis) return null;
        embeddings.set(bytes, analysis.subject.embedding);
        return { bytes, score: analysis.subject.liveness ?? 0 };
      });
      usedSelfies.add(p.label);
      if (!selfie) continue;
      const similarity = type === "selfie_liveness" ? null : cosineSimilarity(embeddings.get(selfie.bytes)!, p.documentEmbedding);
      return add({ type, selfie: selfie.bytes, reference: type === "selfie_liveness" ? null : p.document, similarity, liveness: selfie.score, faces: [p.label] });
    }
    return null;
  };
  const naturalReview = pairs.filter((p) => p.similarity >= match.min && p.similarity < match.max && isLive(p.selfie));
  const reviewSources = [
    async () => {
      const pair = naturalReview.find((p) => unpaired(p.selfie, p.ref));
      return pair ? crossPair("face_match_liveness", pair) : null;
    },
    () => blurred("face_match_liveness"),
    () => faded("selfie_liveness"),
    () => blurred("face_match"),
    () => faded("face_match_liveness"),
  ];
  // Round after round, so one kind that finds nothing is made up by the others.
  for (let round = 0; round < 3 && count("in_review") < TARGET.review; round++) {
    for (const source of reviewSources) {
      if (count("in_review") >= TARGET.review) break;
      await source();
    }
  }

  // Rejected: two clearly different people, the most alike of them (a lookalike, not a
  // stranger); and a selfie the liveness check does not believe.
  const impostors = pairs.filter((p) => p.similarity < match.min - 0.1 && isLive(p.selfie));
  for (const type of ["face_match_liveness", "face_match"] as const) {
    const pair = impostors.find((p) => !usedSelfies.has(p.selfie.label) && unpaired(p.selfie, p.ref)) ?? impostors.find((p) => unpaired(p.selfie, p.ref));
    if (pair) crossPair(type, pair);
  }
  const spoofLike = portraits.filter((p) => bandFor(p.liveness, bands.selfie_liveness) === "reject").sort((a, b) => a.liveness - b.liveness)[0];
  if (spoofLike) add({ type: "selfie_liveness", selfie: spoofLike.selfie, reference: null, similarity: null, liveness: spoofLike.liveness, faces: [spoofLike.label] });
  for (const pair of impostors) {
    if (count("rejected") >= TARGET.rejected) break;
    if (unpaired(pair.selfie, pair.ref)) crossPair("face_match_liveness", pair);
  }
  return plans;
}

/** Made-up customers for the enrolled demo faces (the sample photos' people are not named). */
const DEMO_CUSTOMERS = [
  { name: "Ana Ferreira", externalRef: "customer-1001" },
  { name: "Sam Okafor", externalRef: "customer-1002" },
  { name: "Alex Chen", externalRef: "customer-1003" },
];

interface EnrollmentPlan {
  /** Faces to enroll, one person each; the first is the one the duplicate selfie shows. */
  enroll: Portrait[];
  /** A live selfie of the first enrolled person that is not the enrolled image. */
  duplicateSelfie: Buffer;
}

/**
 * Chooses the faces to enroll and the possible-duplicate selfie: preferably the same person in
 * two sample photos (one photo enrolled, the other as the new selfie), else the enrolled
 * selfie mirrored. The other enrolled faces are people the selfie does not resemble (below
 * the review limit), so the duplicate case has exactly one candidate.
 */
async function planEnrollment(portraits: Portrait[], bands: PolicyBands): Promise<EnrollmentPlan | null> {
  const isLive = (p: Portrait) => bandFor(p.liveness, bands.selfie_liveness) === "approve";
  const twins = portraits
    .flatMap((enrolled) => portraits.filter((probe) => probe.photo !== enrolled.photo && isLive(probe)).map((probe) => ({ enrolled, probe, similarity: cosineSimilarity(enrolled.embedding, probe.embedding) })))
    .filter((t) => t.similarity >= bands.face_match.approve)
    .sort((a, b) => b.similarity - a.similarity);
  let target: { enrolled: Portrait; selfie: Buffer; embedding: Float32Array } | null = twins[0] ? { enrolled: twins[0].enrolled, selfie: twins[0].probe.selfie, embedding: twins[0].probe.embedding } : null;
  for (const p of target ? [] : portraits.filter(isLive)) {
    const selfie = await sharp(p.selfie).flop().jpeg({ quality: 90 }).toBuffer();
    const analysis = await analyse(selfie, { liveness: true, requireSingleFace: true });
    if (!analysis || bandFor(analysis.subject.liveness ?? 0, bands.selfie_liveness) !== "approve") continue;
    if (cosineSimilarity(p.embedding, analysis.subject.embedding) < bands.face_match.review) continue;
    target = { enrolled: p, selfie, embedding: analysis.subject.embedding };
    break;
  }
  if (!target) return null;
  const enroll = [target.enrolled];
  const { embedding } = target;
  for (const p of portraits) {
    if (enroll.length >= DEMO_CUSTOMERS.length) break;
    const unlike = [embedding, ...enroll.map((e) => e.embedding)].every((other) => cosineSimilarity(p.embedding, other) < bands.face_match.review);
    if (unlike) enroll.push(p);
  }
  return { enroll, duplicateSelfie: target.selfie };
}

/** Interleaves the bands, so the newest records and the queue show a mix from the start. */
function interleave(plans: Plan[]): Plan[] {
  const groups = (["approved", "in_review", "rejected"] as const).map((s) => plans.filter((p) => p.expected === s));
  const out: Plan[] = [];
  for (let i = 0; out.length < plans.length; i++) for (const g of groups) if (g[i]) out.push(g[i]);
  return out;
}

/**
 * Seeds a project with demo verifications (source "console", actor "system"), made one
 * after another through `runFaceVerification`, so each has its images, checks, audit event
 * and, in the review band, an open review case; then enrolls a few demo customers and adds
 * the possible-duplicate verification (see planEnrollment). Needs the inference models and
 * the sample photos; throws when either is missing, leaving what was made so far.
 */
export async function seedDemoData(db: Database, store: ImageStore, projectId: string): Promise<{ verifications: number; inReview: number; persons: number }> {
  const { bands } = await getActivePolicy(db, projectId);
  const portraits = await collectPortraits();
  const plans = interleave(await planVerifications(portraits, bands));
  let inReview = 0;
  const verify = async (plan: Pick<Plan, "type" | "selfie" | "reference">, n: number) => {
    const references = plan.reference ? [plan.reference] : [];
    const externalRef = `demo-applicant-${String(n).padStart(2, "0")}`;
    const { record } = await runFaceVerification(db, store, {
      projectId,
      apiKeyId: null,
      actor: "system",
      source: "console",
      type: plan.type,
      selfie: plan.selfie,
      references,
      referenceRole: "reference",
      requestId: newId("req"),
      requestHash: hashRequest(["demo", plan.type, plan.selfie, ...references, externalRef]),
      externalRef,
    });
    if (record.reviewCaseId) inReview++;
  };
  for (const [i, plan] of plans.entries()) await verify(plan, i + 1);

  // Enrolled after the verifications above, so only the last one meets the duplicate check.
  const enrollment = await planEnrollment(portraits, bands);
  if (!enrollment) return { verifications: plans.length, inReview, persons: 0 };
  const customers = await createCollection(db, { projectId, actor: "system", name: "Customers", description: "Demo customers enrolled from the sample photos" });
  for (const [i, portrait] of enrollment.enroll.entries()) {
    await createPerson(db, store, {
      projectId,
      actor: "system",
      ...DEMO_CUSTOMERS[i],
      metadata: { notes: `Demo customer enrolled from ${portrait.label}` },
      collections: [customers.id],
      images: [portrait.selfie],
    });
  }
  await verify({ type: "selfie_liveness", selfie: enrollment.duplicateSelfie, reference: null }, plans.length + 1);
  return { verifications: plans.length + 1, inReview, persons: enrollment.enroll.length };
}
