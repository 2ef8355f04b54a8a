/**
 * The checks on the photos an operator picks in the console's "Enroll a person" form. They run
 * twice: in the browser, so a file that cannot pass is refused before it is uploaded, and in the
 * server action on the sizes the upload declares, before a byte of it is read. Codes and wording
 * are the native API's for the same mistakes (native-input.ts, lib/inference/image.ts, with the
 * `images[i]` prefix the enrollment puts on each image's errors), so an operator and an API
 * caller read the same message. Pure: no server-only, no Next.js.
 */

import { photoTypeProblem, SERVER_ACTION_BODY_BYTES } from "@/lib/photo-files";

/** What the browser and the server both know about an uploaded file before reading it. */
export interface PhotoFacts {
  size: number;
  /** The MIME type the browser gave; "" when it did not know. */
  type: string;
}

export interface EnrollPhotoLimits {
  /** MAX_IMAGES_PER_REQUEST of lib/search/persons.ts. */
  maxImages: number;
  /** VIGIL_MAX_IMAGE_BYTES. */
  maxImageBytes: number;
  /** All photos together: enrollUploadBytes(). */
  maxTotalBytes: number;
}

export interface EnrollPhotoProblem {
  /** Codes of lib/errors.ts, so the server action can throw the problem as an AppError. */
  code: "INVALID_REQUEST" | "INVALID_IMAGE" | "IMAGE_TOO_LARGE" | "UNSUPPORTED_FORMAT" | "BODY_TOO_LARGE";
  message: string;
  /** The photo the problem is about, or null when it is about the set. */
  index: number | null;
}

/** Room for multipart boundaries, part headers and the form's text fields: a few KiB in practice. */
const ACTION_BODY_HEADROOM = 2 * 1024 * 1024;

/**
 * The most photo bytes one console enrollment may send. The API takes the photos as base64
 * in a JSON body of at most VIGIL_MAX_BODY_BYTES, so it carries three quarters of that in
 * images; the console sends raw bytes, so the same three quarters keep both paths' limit the
 * same. It is also capped by the server action's body limit (next.config.ts,
 * `serverActions.bodySizeLimit`), less `ACTION_BODY_HEADROOM` for the multipart framing and the
 * text fields, because Next.js refuses a larger body before the action can answer with a code.
 */
export function enrollUploadBytes(maxBodyBytes: number): number {
  return Math.min(Math.floor((maxBodyBytes * 3) / 4), SERVER_ACTION_BODY_BYTES - ACTION_BODY_HEADROOM);
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The first problem with the chosen photos, in the order the API would find it, or null. */
export function checkEnrollPhotos(photos: readonly PhotoFacts[], limits: EnrollPhotoLimits): EnrollPhotoProblem | null {
  if (photos.length === 0) return { code: "INVALID_REQUEST", message: "images: at least one image is required", index: null };
  if (photos.length > limits.maxImages) return { code: "INVALID_REQUEST", message: `images: at most ${limits.maxImages} images per request`, index: null };
  for (const [index, photo] of photos.entries()) {
    const name = `images[${index}]`;
    if (photo.size === 0) return { code: "INVALID_IMAGE", message: `${name}: The image is empty.`, index };
    if (photo.size > limits.maxImageBytes) return { code: "IMAGE_TOO_LARGE", message: `${name}: The image is larger than ${limits.maxImageBytes} bytes.`, index };
    const problem = photoTypeProblem(name, photo.type);
    if (problem) return { ...problem, index };
  }
  const total = photos.reduce((sum, p) => sum + p.size, 0);
  if (total > limits.maxTotalBytes) {
    return {
      code: "BODY_TOO_LARGE",
      message: `The photos add up to ${megabytes(total)}; one enrollment takes at most ${megabytes(limits.maxTotalBytes)}. Enroll with fewer or smaller photos.`,
      index: null,
    };
  }
  return null;
}
