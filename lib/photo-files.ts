/**
 * What the console can tell about a picked photo from its declared type, before uploading it:
 * the same codes and wording the server gives once it reads the bytes (lib/inference/image.ts).
 * Used by the verify form and the gallery's enroll form, in the browser and in the server action.
 * Pure: no server-only, no Next.js.
 */

/**
 * The largest server-action body (next.config.ts sets `serverActions.bodySizeLimit` to it):
 * /verify uploads two photos of up to VIGIL_MAX_IMAGE_BYTES (15 MiB) each in one action, and
 * the gallery's enroll form checks its photos against it before uploading
 * (lib/search/enroll-photos.ts). Next.js buffers the whole body before any action checks the
 * session, so it is not raised to fit five 15 MiB photos.
 */
export const SERVER_ACTION_BODY_BYTES = 32 * 1024 * 1024;

/** Types the file pickers offer: what the inference reads. */
export const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"] as const;

/**
 * Formats the server recognises and refuses, by the browser's MIME type, named as
 * lib/inference/image.ts names them. Other types are left to the server, which reads the bytes.
 */
const REFUSED: Record<string, string> = {
  "image/gif": "GIF",
  "image/tiff": "TIFF",
  "image/bmp": "BMP",
  "image/heic": "HEIF",
  "image/heif": "HEIF",
  "image/avif": "AVIF",
  "application/pdf": "PDF",
  "image/svg+xml": "SVG",
};

/** The problem with a photo named `name` (as the server names it) of declared MIME type `type`, or null. */
export function photoTypeProblem(name: string, type: string): { code: "UNSUPPORTED_FORMAT" | "INVALID_IMAGE"; message: string } | null {
  const refused = REFUSED[type];
  if (refused) return { code: "UNSUPPORTED_FORMAT", message: `${name}: ${refused} images are not supported; send JPEG, PNG or WebP.` };
  // application/octet-stream: some systems send photos untyped; the server reads the bytes.
  if (type && !type.startsWith("image/") && type !== "application/octet-stream") return { code: "INVALID_IMAGE", message: `${name}: The data is not an image.` };
  return null;
}
