/**
 * The document formats the locator looks for, by the proportions of ISO/IEC 7810:
 * ID-1 (bank cards, most identity cards and driving licences) is 85.60 x 53.98 mm; ID-3
 * (passport data pages) is 125 x 88 mm. ID-2 (105 x 74 mm) has the proportions of ID-3
 * to within 0.1% and is located as a passport page.
 */
export const DOCUMENT_KINDS = {
  id1: { aspect: 85.6 / 53.98, width: 1012, height: 638 },
  passport: { aspect: 125 / 88, width: 1250, height: 880 },
} as const;

export type DocumentKind = keyof typeof DOCUMENT_KINDS;

/** The codes a document check ends with when the image does not let it measure anything. */
export const DOCUMENT_ERROR_CODES = [
  "DOCUMENT_NOT_FOUND",
  "TOO_MANY_DOCUMENTS",
  "DOCUMENT_TOO_SMALL",
  "DOCUMENT_CROPPED",
  "DOCUMENT_TOO_CLOSE_TO_BORDER",
  "DOCUMENT_TOO_CLOSE_TO_CAMERA",
  "DOCUMENT_PHOTO_NOT_FOUND",
] as const;

export type DocumentErrorCode = (typeof DOCUMENT_ERROR_CODES)[number];

/** The kind whose proportions are nearest to `aspect` (>= 1), and how far off it is (|log ratio|). */
export function nearestKind(aspect: number): { kind: DocumentKind; logError: number } {
  const a = aspect >= 1 ? aspect : 1 / aspect;
  const id1 = Math.abs(Math.log(a / DOCUMENT_KINDS.id1.aspect));
  const passport = Math.abs(Math.log(a / DOCUMENT_KINDS.passport.aspect));
  return id1 <= passport ? { kind: "id1", logError: id1 } : { kind: "passport", logError: passport };
}
