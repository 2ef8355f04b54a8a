import { afterAll, describe, expect, it } from "vitest";
import { analyzeFaces, stopInference } from "@/lib/inference";
import { samplePhoto } from "@/lib/inference/testing/photos";
import { iou } from "@/lib/inference/geometry";
import { PINNED_FACES } from "./portraits";

// One inference worker: six photos do not need more, and each worker warms every model.
process.env.VIGIL_INFERENCE_CONCURRENCY ??= "1";

afterAll(async () => {
  await stopInference();
});

describe("pinned portrait faces", () => {
  it("are where the face detector finds faces in the sample photos", async () => {
    const photos = [...new Set(PINNED_FACES.map((f) => f.photo))];
    for (const photo of photos) {
      const { faces } = await analyzeFaces(samplePhoto(photo), { liveness: false });
      for (const pinned of PINNED_FACES.filter((f) => f.photo === photo)) {
        const [x1, y1, x2, y2] = pinned.box;
        const best = Math.max(...faces.map((f) => iou(f.box, { x1, y1, x2, y2 })));
        expect(best, `${photo} ${pinned.box.join(",")}`).toBeGreaterThan(0.9);
        const match = faces.find((f) => iou(f.box, { x1, y1, x2, y2 }) === best)!;
        // Eye centres within 3 px of the detector's landmarks.
        for (const k of [0, 1]) {
          expect(Math.hypot(match.landmarks[k][0] - pinned.eyes[k][0], match.landmarks[k][1] - pinned.eyes[k][1])).toBeLessThan(3);
        }
      }
    }
  });
});
