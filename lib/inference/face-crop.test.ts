import sharp, { type Sharp } from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { errorCodeOf } from "@/lib/testing/errors";
import { analyzeFaces } from "./pool";
import { squareBox } from "./detect";
import { cosineSimilarity } from "./face";
import type { Box } from "./geometry";
import { MIN_IMAGE_SIDE } from "./image";
import { cropAround, samplePhoto } from "./testing/photos";

/** Default bands on cosine similarity (issue #2): approve >= 0.55, reject < 0.40. */
const APPROVE = 0.55;
const REJECT = 0.4;

interface Person {
  /** The person's embedding from the detecting path: the full photo's subject, or a selfie-like cut of a group photo. */
  reference: Float32Array;
  /** Tight face crops, as 1:N search crop requests send them. */
  crops: Record<string, Buffer>;
}

/** Cuts `box` (clamped to the photo) out of a photo, unscaled. */
async function extract(photo: Buffer, box: Box): Promise<Buffer> {
  const meta = await sharp(photo).metadata();
  const left = Math.max(0, Math.round(box.x1));
  const top = Math.max(0, Math.round(box.y1));
  const right = Math.min(meta.width!, Math.round(box.x2));
  const bottom = Math.min(meta.height!, Math.round(box.y2));
  return sharp(photo).extract({ left, top, width: right - left, height: bottom - top }).toBuffer();
}

const sameBox = (a: Box, b: Box) => a.x1 === b.x1 && a.y1 === b.y1 && a.x2 === b.x2 && a.y2 === b.y2;

describe("face crop analysis (faceCrop: true)", () => {
  // The two leftmost people of three group photos: six different people (analyze.test.ts
  // puts all 15 pairs in the reject band).
  const people: Person[] = [];

  beforeAll(async () => {
    for (const file of ["sample3.jpg", "sample5.jpg", "sample6.jpg"]) {
      const photo = samplePhoto(file);
      const full = await analyzeFaces(photo, { liveness: false });
      for (const face of [...full.faces].sort((a, b) => a.box.x1 - b.box.x1).slice(0, 2)) {
        const reference = sameBox(face.box, full.subject.box)
          ? full.subject.embedding
          : (await analyzeFaces(await cropAround(photo, face.box, 0.8), { liveness: false })).subject.embedding;
        const square = await extract(photo, squareBox(face.box));
        const detectorBox = await extract(photo, face.box);
        const w = face.box.x2 - face.box.x1, h = face.box.y2 - face.box.y1;
        const loose = await extract(photo, squareBox({ x1: face.box.x1 - w / 4, y1: face.box.y1 - h / 4, x2: face.box.x2 + w / 4, y2: face.box.y2 + h / 4 }));
        const jpeg = (s: Sharp) => s.jpeg({ quality: 90 }).toBuffer();
        people.push({
          reference,
          crops: {
            square112: await jpeg(sharp(square).resize(112, 112, { fit: "fill" })),
            square90: await jpeg(sharp(square).resize(90, 90, { fit: "fill" })),
            // The detector's own box, narrower than tall (about 0.6 to 0.8 wide per unit height).
            detectorBox112: await jpeg(sharp(detectorBox).resize({ height: 112 })),
            // Looser than a detector box: a quarter of the box added on each side.
            loose120: await jpeg(sharp(loose).resize(120, 120, { fit: "fill" })),
          },
        });
      }
    }
  });

  it("embeds tight crops of a face in the approve band with the person's photo", async () => {
    for (const person of people) {
      for (const crop of Object.values(person.crops)) {
        const analysis = await analyzeFaces(crop, { faceCrop: true, liveness: false });
        expect(cosineSimilarity(analysis.subject.embedding, person.reference)).toBeGreaterThanOrEqual(APPROVE);
      }
    }
  });

  it("puts tight crops in the reject band with other people's photos", async () => {
    let pairs = 0;
    for (const [i, person] of people.entries()) {
      for (const crop of Object.values(person.crops)) {
        const { embedding } = (await analyzeFaces(crop, { faceCrop: true, liveness: false })).subject;
        for (const [j, other] of people.entries()) {
          if (j === i) continue;
          expect(cosineSimilarity(embedding, other.reference)).toBeLessThan(REJECT);
          pairs++;
        }
      }
    }
    expect(pairs).toBe(6 * 4 * 5);
  });

  it("takes the whole crop as the one face, without the detector or liveness", async () => {
    const crop = people[0].crops.square112;
    // liveness asked for on purpose: a face crop answers null all the same.
    const analysis = await analyzeFaces(crop, { faceCrop: true, liveness: true });
    expect(analysis.faces).toHaveLength(1);
    expect(analysis.otherConfidentFaces).toBe(0);
    expect(analysis.subject.box).toEqual({ x1: 0, y1: 0, x2: 112, y2: 112 });
    expect(analysis.subject.score).toBe(1);
    expect(analysis.subject.liveness).toBeNull();
    // The worker honoured the option: no detector ran, and none is credited.
    expect(analysis.models.detect).toBeUndefined();
    expect(analysis.models.liveness).toBeUndefined();
    expect(analysis.timingsMs.detect).toBe(0);
    const [leftEye, rightEye, nose, leftMouth, rightMouth] = analysis.subject.landmarks;
    for (const [x, y] of analysis.subject.landmarks) {
      expect(x).toBeGreaterThan(0);
      expect(x).toBeLessThan(112);
      expect(y).toBeGreaterThan(0);
      expect(y).toBeLessThan(112);
    }
    expect(rightEye[0] - leftEye[0]).toBeGreaterThan(20);
    expect(nose[1]).toBeGreaterThan(Math.max(leftEye[1], rightEye[1]));
    expect(Math.min(leftMouth[1], rightMouth[1])).toBeGreaterThan(nose[1]);
    expect(analysis.subject.quality.faceSizePx).toBe(112);
    expect(analysis.subject.quality.flags).not.toContain("SMALL_FACE");
  });

  it("boxes the face inside a crop looser than a detector box", async () => {
    for (const person of people) {
      const { box } = (await analyzeFaces(person.crops.loose120, { faceCrop: true, liveness: false })).subject;
      // The face's box is about two thirds of the crop (1 / 1.5), not all of it.
      expect(box.y2 - box.y1).toBeLessThan(0.85 * 120);
      expect(box.y2 - box.y1).toBeGreaterThan(0.5 * 120);
    }
  });

  it("still refuses an image smaller than the minimum side", async () => {
    const tiny = await sharp(people[0].crops.square90).resize(MIN_IMAGE_SIDE - 8, MIN_IMAGE_SIDE - 8).jpeg().toBuffer();
    expect(await errorCodeOf(() => analyzeFaces(tiny, { faceCrop: true, liveness: false }))).toBe("IMAGE_TOO_SMALL");
  });
});
