import type { RgbImage } from "../../image";
import type { CameraMetadata } from "../exif";
import type { DocumentOutline, GreyImage } from "../locate";
import type { Quad } from "../quad";
import type { RectifiedDocument } from "../rectify";
import { bezelInside, deviceFrame, findStraightBands, paperSheet } from "./frame";
import { marginSamples, windowsAround, windowsInside } from "./regions";
import { analyzeSpectra, prominenceAt } from "./spectrum";
import { colourStats, illuminationGradient, marginStats, noiseFloor, noiseSigma, uniformRing } from "./stats";

/**
 * What the cues are computed from: one number per measurement, each explained where it is
 * computed. These are the inputs of the frozen logistic combinations in score.ts.
 */
export interface DocumentFeatures {
  /** Windows the spectra were taken on, inside the document and around it. */
  windowsInside: number;
  windowsAround: number;
  /** log10 peak-over-ring ratio of the strongest periodic luma / chroma component inside the document. */
  lumaPeak: number;
  chromaPeak: number;
  /** Median over windows of each window's strongest luma / chroma peak (log10 ratio). */
  lumaWindowPeak: number;
  chromaWindowPeak: number;
  /** The same in the windows around the document (0 when none fits). */
  lumaWindowPeakAround: number;
  chromaWindowPeakAround: number;
  /** Frequency of the chroma and luma peaks, cycles per pixel. */
  chromaPeakFrequency: number;
  lumaPeakFrequency: number;
  /** 0 (R, G, B in phase) .. 1 (120 degrees apart) at the chroma peak. */
  channelPhaseSpread: number;
  /** log10 chroma over luma power at the chroma peak. */
  chromaToLuma: number;
  /** The inside peaks' frequencies measured in the windows around the document (log10 ratio; 0 when no window fits). */
  chromaPeakAround: number;
  lumaPeakAround: number;
  /** Fine-scale share of luma power inside the document. */
  highFrequencyShare: number;
  /** Sensor noise estimate (grey levels) on flat parts of the document and the share of flat pixels it used. */
  noiseSigma: number;
  flatShare: number;
  /** 10th percentile of 8 x 8 block standard deviations inside the document (grey levels). */
  noiseFloor: number;
  /** Relative change of the paper white over one document width (stats.ts, illuminationGradient). */
  illuminationGradient: number;
  colourfulness: number;
  /** Colourfulness over blocks of a twentieth of the document's height (stats.ts, colourStats). */
  coarseColourfulness: number;
  chromaP95: number;
  brightShare: number;
  lumaP2: number;
  lumaP98: number;
  /** Band around the document: how many samples it had (0: the document fills the picture), and their statistics. */
  marginSamples: number;
  marginLuma: number;
  marginChroma: number;
  marginTexture: number;
  marginPaperShare: number;
  marginDarkFlatShare: number;
  marginGreyFlatShare: number;
  /** Share of a thin band (1.5-5% of the document's size outside it) that is one flat colour. */
  marginUniformShare: number;
  /** Median luma of that thin band over the document's white (p98 luma). */
  marginRingLuma: number;
  /** A screen's frame around the document (frame.ts, deviceFrame): framed sides (0-4), the band's width in document heights and its darkest part over the document's white. */
  frameSides: number;
  frameWidth: number;
  frameDarkness: number;
  /** A bezel just inside the outline (frame.ts, bezelInside): sides (0-4), and the band's darkness over the document's white. */
  bezelInsideSides: number;
  bezelInsideDarkness: number;
  /** A print's sheet around the document (frame.ts, paperSheet): sides (0-4) with a blank margin ending at the sheet's edge, its width in document heights and its brightness over the document's white. */
  sheetSides: number;
  sheetWidth: number;
  sheetWhite: number;
  /** Share of the image the document covers. */
  areaShare: number;
  /** Largest deviation of a side from horizontal or vertical, degrees. */
  axisDeviation: number;
  /** 1 when a corner is within 1 px of the frame; the document is the whole picture. */
  fullFrame: number;
  /** 1 when the file has EXIF with a camera make, model or exposure. */
  cameraExif: number;
  /** 1 when the file has any EXIF block. */
  exif: number;
}

/** Largest angle between a side of the outline and the nearest image axis, in degrees. */
function axisDeviation(corners: Quad): number {
  let worst = 0;
  for (let i = 0; i < 4; i++) {
    const a = corners[i], b = corners[(i + 1) % 4];
    const angle = (Math.atan2(b[1] - a[1], b[0] - a[0]) * 180) / Math.PI;
    const off = Math.abs(((angle % 90) + 90) % 90);
    worst = Math.max(worst, Math.min(off, 90 - off));
  }
  return worst;
}

export interface MeasureInput {
  rgb: RgbImage;
  grey: GreyImage;
  outline: DocumentOutline;
  document: RectifiedDocument;
  camera: CameraMetadata;
}

/** Computes every feature the cues use. */
export function measureFeatures(input: MeasureInput): DocumentFeatures {
  const { rgb, grey, outline, document, camera } = input;
  const corners = outline.corners;
  const inside = windowsInside(corners, document.toImage, document.image.width, document.image.height, rgb.width, rgb.height);
  const around = windowsAround(corners, rgb.width, rgb.height);
  const spectraIn = analyzeSpectra(rgb, inside);
  const spectraAround = analyzeSpectra(rgb, around);
  const noise = noiseSigma(grey, inside);
  const colour = colourStats(document.image);
  // About 5 000 samples of the band on a 1080p frame.
  const step = Math.max(3, Math.round(Math.min(rgb.width, rgb.height) / 120));
  const margin = marginStats(rgb, marginSamples(corners, rgb.width, rgb.height, step));
  const inReport = spectraIn?.report;
  const ring = uniformRing(rgb, marginSamples(corners, rgb.width, rgb.height, Math.max(2, Math.round(step / 2)), 1.03, 1.1));
  const bands = findStraightBands(grey, corners, colour.lumaP98);
  const frame = deviceFrame(bands);
  const sheet = paperSheet(bands);
  const inner = bezelInside(findStraightBands(grey, corners, colour.lumaP98, true));
  const edge = 1;
  const onFrame = corners.some(([x, y]) => x <= edge || y <= edge || x >= rgb.width - 1 - edge || y >= rgb.height - 1 - edge);
  return {
    windowsInside: inside.length,
    windowsAround: around.length,
    lumaPeak: inReport?.luma.prominence ?? 0,
    chromaPeak: inReport?.chroma.prominence ?? 0,
    lumaWindowPeak: inReport?.lumaWindowPeak ?? 0,
    chromaWindowPeak: inReport?.chromaWindowPeak ?? 0,
    lumaWindowPeakAround: spectraAround?.report.lumaWindowPeak ?? 0,
    chromaWindowPeakAround: spectraAround?.report.chromaWindowPeak ?? 0,
    chromaPeakFrequency: inReport?.chroma.frequency ?? 0,
    lumaPeakFrequency: inReport?.luma.frequency ?? 0,
    channelPhaseSpread: inReport?.channelPhaseSpread ?? 0,
    chromaToLuma: inReport?.chromaToLuma ?? 0,
    chromaPeakAround: spectraIn && spectraAround ? prominenceAt(spectraAround.chromaLog, spectraIn.report.chroma.kx, spectraIn.report.chroma.ky) : 0,
    lumaPeakAround: spectraIn && spectraAround ? prominenceAt(spectraAround.lumaLog, spectraIn.report.luma.kx, spectraIn.report.luma.ky) : 0,
    highFrequencyShare: inReport?.highFrequencyShare ?? 0,
    noiseSigma: noise.sigma,
    flatShare: noise.flatShare,
    noiseFloor: noiseFloor(grey, inside),
    illuminationGradient: illuminationGradient(document.image),
    colourfulness: colour.colourfulness,
    coarseColourfulness: colour.coarseColourfulness,
    chromaP95: colour.chromaP95,
    brightShare: colour.brightShare,
    lumaP2: colour.lumaP2,
    lumaP98: colour.lumaP98,
    marginSamples: margin.samples,
    marginLuma: margin.luma,
    marginChroma: margin.chroma,
    marginTexture: margin.texture,
    marginPaperShare: margin.paperShare,
    marginDarkFlatShare: margin.darkFlatShare,
    marginGreyFlatShare: margin.greyFlatShare,
    marginUniformShare: ring.share,
    marginRingLuma: colour.lumaP98 > 0 ? ring.luma / colour.lumaP98 : 0,
    frameSides: frame.sides,
    frameWidth: frame.width,
    frameDarkness: frame.level,
    bezelInsideSides: inner.sides,
    bezelInsideDarkness: inner.level,
    sheetSides: sheet.sides,
    sheetWidth: sheet.width,
    sheetWhite: sheet.level,
    areaShare: outline.areaShare,
    axisDeviation: axisDeviation(corners),
    fullFrame: onFrame || outline.fullFrame ? 1 : 0,
    cameraExif: camera.make || camera.model || camera.exposure ? 1 : 0,
    exif: camera.exif ? 1 : 0,
  };
}
