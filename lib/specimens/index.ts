/**
 * Synthetic identity documents and their captures, for measuring document liveness (issue
 * #4) where no labelled data exists: genuine photos, screen recaptures, prints and digital
 * originals, with labels and document corners.
 *
 *   npm run vigil -- specimens --out DIR --seed N --count N   (specimensCli)
 *
 * writes DIR/000000_genuine.jpg, 000001_screen.jpg, 000002_print.jpg, 000003_digital.png, ...
 * and DIR/labels.csv: `file,label,kind,x1,y1,x2,y2,x3,y3,x4,y4`, the document's corners
 * clockwise from its own top-left, in pixels of the image with (0, 0) the top-left corner of
 * its top-left pixel.
 *
 * document.ts renders the documents (ID-1 cards and TD3 passport pages at 600 dpi, with a
 * real face and a valid MRZ); camera.ts is the phone camera every capture goes through;
 * captures.ts (genuine, digital), screen.ts and print.ts build what it looks at; generate.ts
 * makes the set. Everything is deterministic in the seed (rng.ts).
 */
export { captureDigital, captureGenuine, SPECIMEN_LABELS } from "./captures";
export type { Capture, SpecimenLabel } from "./captures";
export type { Camera } from "./camera";
export { renderDocument, DOCUMENT_DPI } from "./document";
export type { DocumentKind, DocumentRaster } from "./document";
export { generateSpecimens, planSpecimens, specimensCli, LABELS_HEADER } from "./generate";
export type { GenerateOptions, GenerateSummary, SpecimenRow } from "./generate";
export { mrzCheckDigit, mrzChecksHold, td1Mrz, td3Mrz } from "./mrz";
export { capturePrint } from "./print";
export type { Printer } from "./print";
export { captureScreen } from "./screen";
export type { Display } from "./screen";
export { Rng } from "./rng";
