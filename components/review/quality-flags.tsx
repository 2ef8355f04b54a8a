import type { JSX } from "react";
// Types only: lib/inference is server-only, and `import type` is erased from the bundle.
import type { FaceQuality, QualityFlag } from "@/lib/inference/face";
import styles from "./review.module.css";

export interface QualityFlagsProps {
  /** The subject face's quality report; null when it was not measured. */
  quality: FaceQuality | null;
  /** Faces other than the subject that the detector was confident about. */
  otherConfidentFaces?: number;
}

interface Chip {
  key: string;
  text: string;
  /** What the figure measures, as a tooltip. */
  title: string;
  warning: boolean;
}

const KNOWN_FLAGS: readonly QualityFlag[] = ["SMALL_FACE", "BLURRY", "UNDEREXPOSED", "OVEREXPOSED", "POSE"];

function degrees(value: number): string {
  return `${Math.round(value)}°`;
}

/**
 * The chips in a fixed order (size, sharpness, exposure, pose, other faces) so a reviewer
 * finds each figure in the same place on every case; the flags set by the server decide
 * which ones warn.
 */
function chipsFor(quality: FaceQuality, otherConfidentFaces: number): Chip[] {
  const has = (flag: QualityFlag) => quality.flags.includes(flag);
  const chips: Chip[] = [
    {
      key: "size",
      text: `${has("SMALL_FACE") ? "Small face" : "Face"} ${quality.faceSizePx} px`,
      title: "Side of the face square in pixels of the original image",
      warning: has("SMALL_FACE"),
    },
    {
      key: "sharpness",
      text: `${has("BLURRY") ? "Blurry, sharpness" : "Sharpness"} ${Math.round(quality.sharpness)}`,
      title: "Variance of the Laplacian of the aligned face; higher is sharper",
      warning: has("BLURRY"),
    },
    {
      key: "exposure",
      text: `${has("UNDEREXPOSED") ? "Dark, brightness" : has("OVEREXPOSED") ? "Overexposed, brightness" : "Brightness"} ${Math.round(quality.brightness)}`,
      title: `Mean luma of the aligned face (0-255); ${Math.round(quality.clipped * 100)}% of its pixels clipped to black or white`,
      warning: has("UNDEREXPOSED") || has("OVEREXPOSED"),
    },
    {
      key: "pose",
      text: `${has("POSE") ? "Head turned:" : "Pose"} yaw ${degrees(quality.yaw)} pitch ${degrees(quality.pitch)} roll ${degrees(quality.roll)}`,
      title: "Rough head pose from the five landmarks; positive yaw is turned to the image's right",
      warning: has("POSE"),
    },
  ];
  if (otherConfidentFaces > 0) {
    chips.push({
      key: "faces",
      text: `Several faces: ${otherConfidentFaces} more`,
      title: "Other faces the detector is confident about; make sure the subject is the right person",
      warning: true,
    });
  }
  // A flag added on the server before this list learns about it still shows, by its code.
  for (const flag of quality.flags.filter((f) => !KNOWN_FLAGS.includes(f))) {
    chips.push({ key: flag, text: flag, title: "Quality flag", warning: true });
  }
  return chips;
}

/** A face quality report as chips; flagged measures are warnings. */
export function QualityFlags({ quality, otherConfidentFaces = 0 }: QualityFlagsProps): JSX.Element {
  if (!quality) {
    return (
      <p className={styles.muted} data-testid="quality-flags">
        Quality not measured
      </p>
    );
  }
  return (
    <ul className={styles.chips} aria-label="Face quality" data-testid="quality-flags">
      {chipsFor(quality, otherConfidentFaces).map((chip) => (
        <li key={chip.key} className={styles.chip} data-warning={chip.warning || undefined} data-flag={chip.key} title={chip.title}>
          {chip.warning && <span className={styles.srOnly}>Warning: </span>}
          {chip.text}
        </li>
      ))}
    </ul>
  );
}
