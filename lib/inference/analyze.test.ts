import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { errorCodeOf } from "@/lib/testing/errors";
import { analyzeFaces } from "./pool";
import { compareFaces } from "./compare";
import type { FaceAnalysis } from "./analyze";
import { cosineSimilarity } from "./face";
import { cropAround, samplePhoto } from "./testing/photos";

/** Default bands on cosine similarity (issue #2): approve >= 0.55, reject < 0.40. */
const APPROVE = 0.55;
const REJECT = 0.4;


/** Faces sorted left to right, so tests can name "the second person from the left". */
function leftToRight(analysis: FaceAnalysis) {
  return [...analysis.faces].sort((a, b) => a.box.x1 - b.box.x1);
}

describe("face detection on real photos", () => {
  it.each([
    ["sample1.jpg", 3],
    ["sample3.jpg", 3],
    ["sample4.jpg", 4],
    ["sample5.jpg", 5],
    ["sample6.jpg", 4],
  ])("finds every face in the group photo %s (%i)", async (file, count) => {
    const analysis = await analyzeFaces(samplePhoto(file), { liveness: false });
    expect(analysis.faces).toHaveLength(count);
    for (const face of analysis.faces) {
      expect(face.landmarks).toHaveLength(5);
      const [leftEye, rightEye, nose] = face.landmarks;
      // Landmarks fall inside their face box, eyes above the nose.
      for (const [x, y] of face.landmarks) {
        expect(x).toBeGreaterThan(face.box.x1 - 5);
        expect(x).toBeLessThan(face.box.x2 + 5);
        expect(y).toBeGreaterThan(face.box.y1 - 5);
        expect(y).toBeLessThan(face.box.y2 + 5);
      }
      expect(Math.hypot(rightEye[0] - leftEye[0], rightEye[1] - leftEye[1])).toBeGreaterThan(10);
      expect(nose[1]).toBeGreaterThan(Math.min(leftEye[1], rightEye[1]) - 30);
    }
    // The subject is the best face; the others count as confident from a score of 0.9.
    expect(analysis.faces[0].score).toBeGreaterThan(0.95);
    expect(analysis.otherConfidentFaces).toBe(analysis.faces.slice(1).filter((f) => f.score >= 0.9).length);
    expect(analysis.otherConfidentFaces).toBeGreaterThanOrEqual(1);
  });

  it("refuses a group photo when exactly one face is required", async () => {
    expect(await errorCodeOf(() => analyzeFaces(samplePhoto("sample4.jpg"), { requireSingleFace: true }))).toBe("MULTIPLE_FACES");
  });

  it("answers NO_FACE_FOUND for a photo without a face", async () => {
    // The lower right of sample2: a sofa, legs and boots, no face.
    const noFace = await sharp(samplePhoto("sample2.jpg")).extract({ left: 1200, top: 900, width: 700, height: 460 }).jpeg().toBuffer();
    expect(await errorCodeOf(() => analyzeFaces(noFace))).toBe("NO_FACE_FOUND");
    const flat = await sharp({ create: { width: 640, height: 480, channels: 3, background: "#6a7f99" } }).jpeg().toBuffer();
    expect(await errorCodeOf(() => analyzeFaces(flat))).toBe("NO_FACE_FOUND");
  });
});

describe("1:1 comparison bands", () => {
  // Crops of single people from the group photos: a "selfie" each.
  let people: Buffer[] = [];

  beforeAll(async () => {
    const sources = ["sample3.jpg", "sample5.jpg", "sample6.jpg"];
    people = [];
    for (const file of sources) {
      const photo = samplePhoto(file);
      const analysis = await analyzeFaces(photo, { liveness: false });
      for (const face of leftToRight(analysis).slice(0, 2)) people.push(await cropAround(photo, face.box, 0.8));
    }
  });

  it("puts a face and a rotated, downscaled, recompressed copy of it in the approve band", async () => {
    for (const person of people) {
      const meta = await sharp(person).metadata();
      const degraded = await sharp(person)
        .rotate(12, { background: "#808080" })
        .resize({ width: Math.round(meta.width! * 0.5) })
        .jpeg({ quality: 40 })
        .toBuffer();
      const { similarity } = await compareFaces(person, degraded, { liveness: false });
      expect(similarity).toBeGreaterThanOrEqual(APPROVE);
    }
  });

  it("puts two different people in the reject band", async () => {
    const analyses = await Promise.all(people.map((p) => analyzeFaces(p, { liveness: false })));
    let pairs = 0;
    for (let i = 0; i < analyses.length; i++) {
      for (let j = i + 1; j < analyses.length; j++) {
        expect(cosineSimilarity(analyses[i].subject.embedding, analyses[j].subject.embedding)).toBeLessThan(REJECT);
        pairs++;
      }
    }
    expect(pairs).toBe(15);
  });

  it("finds faces that fill the frame, in small images and in greyscale", async () => {
    const photo = samplePhoto("sample5.jpg");
    const analysis = await analyzeFaces(photo, { liveness: false });
    for (const face of analysis.faces) {
      const reference = (await analyzeFaces(await cropAround(photo, face.box, 0.8), { liveness: false })).subject.embedding;
      // A portrait cut tight, as from an ID document: the face fills the whole image.
      const tight = await cropAround(photo, face.box, 0.02);
      const small = await sharp(await cropAround(photo, face.box, 0.15)).resize({ width: 90, height: 110, fit: "fill" }).jpeg().toBuffer();
      const grey = await sharp(await cropAround(photo, face.box, 0.5)).greyscale().png().toBuffer();
      for (const variant of [tight, small, grey]) {
        const found = await analyzeFaces(variant, { liveness: false });
        expect(cosineSimilarity(found.subject.embedding, reference)).toBeGreaterThanOrEqual(APPROVE);
      }
    }
  });
});

describe("selfie liveness and quality", () => {
  it("scores camera photos of people as live and reports their quality", async () => {
    const photo = samplePhoto("sample3.jpg");
    const analysis = await analyzeFaces(photo);
    expect(analysis.subject.liveness).not.toBeNull();
    expect(analysis.subject.liveness!).toBeGreaterThan(0.6);
    const q = analysis.subject.quality;
    expect(q.faceSizePx).toBeGreaterThan(150);
    expect(q.flags).not.toContain("SMALL_FACE");
    expect(q.flags).not.toContain("BLURRY");
  });

  it("flags a blurred, dark face", async () => {
    const photo = samplePhoto("sample3.jpg");
    const face = leftToRight(await analyzeFaces(photo, { liveness: false }))[1];
    const bad = await sharp(await cropAround(photo, face.box, 0.8)).blur(6).linear(0.25, 0).jpeg().toBuffer();
    const analysis = await analyzeFaces(bad, { liveness: false });
    expect(analysis.subject.quality.flags).toEqual(expect.arrayContaining(["BLURRY", "UNDEREXPOSED"]));
  });
});
