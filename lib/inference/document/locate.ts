import "server-only";
import type { Point } from "../geometry";
import type { RgbImage } from "../image";
import type { DocumentErrorCode, DocumentKind } from "./kinds";
import { nearestKind } from "./kinds";
import type { CV } from "./opencv";
import type { Quad } from "./quad";
import type { Segment } from "./lines";
import { mergeSegments, quadsFromLines } from "./lines";
import { containedShare, intersectLines, isConvexQuad, orderQuad, polygonArea, quadIou, rectifiedAspect } from "./quad";

/** 8-bit luma, row-major. */
export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** ITU-R BT.601 luma of an RGB image (the weights OpenCV's cvtColor uses). */
export function toGrey(rgb: RgbImage): GreyImage {
  const n = rgb.width * rgb.height;
  const data = new Uint8Array(n);
  const src = rgb.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) data[i] = (src[j] * 4899 + src[j + 1] * 9617 + src[j + 2] * 1868 + 8192) >> 14;
  return { data, width: rgb.width, height: rgb.height };
}

/**
 * Geometry limits behind the outline errors, as shares of the input image. The vendor's
 * contract (shared/seeds/003) names the errors but not their limits; these are ours:
 *
 * - DOCUMENT_TOO_SMALL: the outline covers less than 1.5% of the image, or its short side is
 *   under 120 px. At 120 px an ID-1 card is imaged at 56 ppi (2.2 px/mm): its portrait's
 *   face is still ~45 px tall, the smallest the face models take reliably. A card across a
 *   quarter of a 1080 px wide portrait frame (the smallest hand-held capture we simulate)
 *   covers 2% of the frame with a ~170 px short side.
 * - DOCUMENT_CROPPED: a corner is outside the image or within 0.4% of its edge (on it).
 * - DOCUMENT_TOO_CLOSE_TO_BORDER: a corner within 1% of the short side from an edge; the
 *   band the screen and paper cues look at would be cut off.
 * - DOCUMENT_TOO_CLOSE_TO_CAMERA: the outline covers more than 85% of the image. (A digital
 *   original cut at the document's edges is taken whole, see `fullFrame`, and is not held to
 *   these limits.)
 * - TOO_MANY_DOCUMENTS: another outline with document proportions, strong edges and half the
 *   chosen one's score, 0.35-2.9 times its area, clear of it by 3% of the image's short side
 *   (otherDocuments).
 */
export const LOCATE_LIMITS = {
  minAreaShare: 0.015,
  minShortSidePx: 120,
  croppedMargin: 0.004,
  borderMargin: 0.01,
  maxAreaShare: 0.85,
  otherDocumentArea: 0.35,
  otherDocumentScore: 0.5,
} as const;

/** Long side of the downscaled copy the outline is searched on. */
const SEARCH_LONG_SIDE = 800;
/** Smallest outline considered at all (share of the image), so a tiny card is reported as too small, not missing. */
const MIN_CANDIDATE_AREA = 0.008;
/** |log(aspect / kind aspect)| accepted: 9% either way, after perspective is undone. */
const MAX_ASPECT_LOG_ERROR = 0.09;
/** Share of the outline's perimeter that must lie on an image edge of the right orientation. */
const MIN_EDGE_SUPPORT = 0.55;
/**
 * Gradient (Sobel on the blurred downscaled copy, any colour channel) that counts as an edge:
 * about a 10-level step, the contrast of a white card on a light grey desk.
 */
const EDGE_GRADIENT = 24;

export interface DocumentOutline {
  /** Corners in pixels of the input image: top-left, top-right, bottom-right, bottom-left as seen in the image. */
  corners: Quad;
  kind: DocumentKind;
  /** Width / height of the rectangle the outline shows, perspective undone (>= 1: long side over short). */
  aspect: number;
  /** Share of the perimeter backed by an image edge, 0..1. */
  edgeSupport: number;
  /** Share of the image the outline covers. */
  areaShare: number;
  /** How good an outline it is: edge support x fit to the kind's proportions x size, 0..1. */
  score: number;
  /**
   * Colour difference (RGB distance of the means) between a strip inside and a strip outside
   * each side, the smallest of the four: a side drawn along a seam of the desk has desk on
   * both of its sides.
   */
  sideContrast: number;
  /** The whole picture, offered as the document because the image itself has document proportions. */
  fullFrame: boolean;
}

export interface LocateResult {
  /** Outlines to try, most likely first; empty when none was found. */
  outlines: DocumentOutline[];
  /** Every outline considered, in pixels of the input image (for diagnostics). */
  considered?: Array<{ corners: Quad; aspect: number; kind: DocumentKind; support: number; score: number; onFrame: boolean }>;
  /** TOO_MANY_DOCUMENTS, DOCUMENT_CROPPED (cut by the frame) or DOCUMENT_NOT_FOUND; the first outline's own geometry is checked by `geometryError`. */
  error: DocumentErrorCode | null;
  /**
   * Regions closed by the image frame on one side and by long straight edges on at least two
   * others: the visible part of a document the frame cuts (see `cutBy`).
   */
  cut: Quad[];
}

interface Candidate {
  quad: Quad; // in pixels of the search copy
  aspect: number;
  kind: DocumentKind;
  logError: number;
  support: number;
  area: number;
  score: number;
  /** A vertex lies on the image frame (a painted edge): the outline is the document cut by the frame. */
  onFrame: boolean;
  /** Edge support of each side. */
  sideSupport: number[];
}

/** Sobel gradients of the search copy, per channel: gx then gy for R, G, B. */
interface Gradients {
  width: number;
  height: number;
  planes: Float32Array[];
}

/**
 * The planes of the last gradientsOf, reused: a thread locates one image at a time, and the
 * six planes of a search copy are 8.6 MB that would otherwise be garbage after every image.
 */
let gradientPlanes: Float32Array[] = [];

function gradientsOf(cv: CV, blurred: InstanceType<CV["Mat"]>): Gradients {
  const channels = new cv.MatVector();
  cv.split(blurred, channels);
  const size = blurred.cols * blurred.rows;
  if (gradientPlanes.length !== 6 || gradientPlanes[0].length !== size) gradientPlanes = Array.from({ length: 6 }, () => new Float32Array(size));
  const planes = gradientPlanes;
  const g = new cv.Mat();
  for (let c = 0; c < 3; c++) {
    const ch = channels.get(c);
    cv.Sobel(ch, g, cv.CV_32F, 1, 0, 3);
    planes[2 * c].set(g.data32F);
    cv.Sobel(ch, g, cv.CV_32F, 0, 1, 3);
    planes[2 * c + 1].set(g.data32F);
    ch.delete();
  }
  g.delete();
  channels.delete();
  return { width: blurred.cols, height: blurred.rows, planes };
}

/** Share of the quad's perimeter whose strongest colour gradient across the side exceeds EDGE_GRADIENT. */
function edgeSupport(grad: Gradients, quad: Quad, perSide: number[] = []): number {
  let hits = 0, total = 0;
  for (let s = 0; s < 4; s++) {
    const a = quad[s], b = quad[(s + 1) % 4];
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (len < 1) return 0;
    const tx = (b[0] - a[0]) / len, ty = (b[1] - a[1]) / len;
    const nx = ty, ny = -tx;
    const samples = Math.max(8, Math.min(40, Math.round(len / 6)));
    let sideHits = 0;
    for (let k = 0; k < samples; k++) {
      const u = 0.08 + (0.84 * (k + 0.5)) / samples;
      const px = a[0] + (b[0] - a[0]) * u, py = a[1] + (b[1] - a[1]) * u;
      let best = 0;
      for (let d = -2; d <= 2; d++) {
        const x = Math.round(px + nx * d), y = Math.round(py + ny * d);
        if (x < 1 || y < 1 || x >= grad.width - 1 || y >= grad.height - 1) continue;
        const i = y * grad.width + x;
        for (let c = 0; c < 3; c++) {
          const gn = Math.abs(grad.planes[2 * c][i] * nx + grad.planes[2 * c + 1][i] * ny);
          if (gn > best) best = gn;
        }
      }
      if (best >= EDGE_GRADIENT) sideHits++;
    }
    perSide.push(sideHits / samples);
    hits += sideHits;
    total += samples;
  }
  return hits / total;
}

function isOnFrame(p: Point, width: number, height: number): boolean {
  const m = 2.5;
  return p[0] <= m || p[1] <= m || p[0] >= width - 1 - m || p[1] >= height - 1 - m;
}

/** Lines kept for the line-based search: the longest, by edge length along them. */
const MAX_LINES = 40;

/**
 * Candidate outlines in the search copy, from two sources. Closed edge loops that simplify to
 * four corners find a document on a plain background, even with rounded or worn corners.
 * Where the background has edges of its own (wood grain, a desk's seams) a loop rarely closes
 * on the document alone, so quadrilaterals are also formed from the straight edges found:
 * four long lines, two roughly parallel pairs, each side covered by edges.
 */
function findCandidates(cv: CV, small: InstanceType<CV["Mat"]>): Candidate[] {
  const width = small.cols, height = small.rows;
  const blurred = new cv.Mat();
  cv.GaussianBlur(small, blurred, new cv.Size(5, 5), 0);
  const grad = gradientsOf(cv, blurred);
  const imageArea = width * height;
  const found: Candidate[] = [];

  const consider = (quad: Quad): Candidate | null => {
    if (!isConvexQuad(quad, 40)) return null;
    const quadArea = polygonArea(quad);
    if (quadArea < MIN_CANDIDATE_AREA * imageArea) return null;
    const aspectRaw = rectifiedAspect(quad, width, height);
    const aspect = aspectRaw >= 1 ? aspectRaw : 1 / aspectRaw;
    const { kind, logError } = nearestKind(aspect);
    const onFrame = quad.some((p) => isOnFrame(p, width, height));
    const perSide: number[] = [];
    const mean = edgeSupport(grad, quad, perSide);
    // A side without edges is no side: weigh the weakest side in.
    const support = Math.min(mean, 0.5 * mean + 0.5 * Math.min(...perSide) + 0.25);
    const score = candidateScore(support, logError, quadArea / imageArea);
    return { quad, aspect, kind, logError, support, area: quadArea, score, onFrame, sideSupport: perSide };
  };

  // Two edge maps: a sensitive one, which closes the loop of a pale card on a pale desk, and
  // one at the contrast of the image's strongest edges (its 90th gradient percentile), where
  // a textured desk's grain no longer hides the document's straight sides among its own.
  const strong = Math.min(200, Math.max(60, gradientPercentile(grad, 0.9)));
  for (const [low, high] of [[16, 48], [strong / 2.5, strong]]) {
    const edges = new cv.Mat();
    cv.Canny(blurred, edges, low, high, 3, true);
    // The frame counts as an edge, so a document cut by it still closes a loop (and is seen as cropped).
    cv.rectangle(edges, new cv.Point(0, 0), new cv.Point(width - 1, height - 1), new cv.Scalar(255), 1);
    const kernel = cv.Mat.ones(3, 3, cv.CV_8U);
    cv.dilate(edges, edges, kernel);
    kernel.delete();
    const contours = new cv.MatVector();
    const hierarchy = new cv.Mat();
    cv.findContours(edges, contours, hierarchy, cv.RETR_LIST, cv.CHAIN_APPROX_SIMPLE);
    const minSegment = Math.max(12, 0.04 * Math.min(width, height));
    const segments: Segment[] = [];
    const hull = new cv.Mat();
    const approx = new cv.Mat();
    for (let i = 0; i < contours.size(); i++) {
      const contour = contours.get(i);
      const perimeter = cv.arcLength(contour, true);
      if (perimeter >= 2 * minSegment) {
        // Straight pieces of the contour, for the line-based search.
        cv.approxPolyDP(contour, approx, 2, true);
        const d = approx.data32S;
        for (let k = 0; k < approx.rows; k++) {
          const a: Point = [d[2 * k], d[2 * k + 1]];
          const b: Point = [d[(2 * k + 2) % (2 * approx.rows)], d[(2 * k + 3) % (2 * approx.rows)]];
          if (Math.hypot(b[0] - a[0], b[1] - a[1]) < minSegment) continue;
          // Not the painted frame.
          if ((a[0] <= 2 && b[0] <= 2) || (a[1] <= 2 && b[1] <= 2) || (a[0] >= width - 3 && b[0] >= width - 3) || (a[1] >= height - 3 && b[1] >= height - 3)) continue;
          segments.push({ a, b });
        }
      }
      const area = Math.abs(cv.contourArea(contour));
      if (area < MIN_CANDIDATE_AREA * imageArea || area > 0.985 * imageArea) {
        contour.delete();
        continue;
      }
      cv.convexHull(contour, hull, false, true);
      const hullPerimeter = cv.arcLength(hull, true);
      let corners: Point[] | null = null;
      for (const eps of [0.012, 0.025, 0.045]) {
        cv.approxPolyDP(hull, approx, eps * hullPerimeter, true);
        if (approx.rows === 4) {
          const d = approx.data32S;
          corners = [[d[0], d[1]], [d[2], d[3]], [d[4], d[5]], [d[6], d[7]]];
          break;
        }
        if (approx.rows < 4) break;
      }
      contour.delete();
      if (!corners) continue;
      const candidate = consider(orderQuad(corners));
      if (candidate) found.push(candidate);
    }
    hull.delete();
    approx.delete();
    contours.delete();
    hierarchy.delete();
    edges.delete();

    const lines = mergeSegments(segments, MAX_LINES);
    const minSide = Math.max(10, 0.06 * Math.min(width, height));
    const lineQuads = quadsFromLines(lines, minSide, 0.35, (quad) => {
      if (polygonArea(quad) < MIN_CANDIDATE_AREA * imageArea) return false;
      if (quad.some(([x, y]) => x < -0.5 * width || y < -0.5 * height || x > 1.5 * width || y > 1.5 * height)) return false;
      const a = rectifiedAspect(quad, width, height);
      return nearestKind(a >= 1 ? a : 1 / a).logError <= MAX_ASPECT_LOG_ERROR;
    });
    // Gradient support only for the best-covered ones: it is the costly part.
    lineQuads.sort((p, q) => q.meanCoverage + q.minCoverage - (p.meanCoverage + p.minCoverage));
    for (const lq of lineQuads.slice(0, 40)) {
      const candidate = consider(lq.quad);
      if (candidate) found.push(candidate);
    }
  }
  blurred.delete();
  return found;
}

/** The q-quantile of the strongest-channel gradient magnitude (Sobel, as Canny measures it). */
function gradientPercentile(grad: Gradients, q: number): number {
  const hist = new Uint32Array(512);
  const n = grad.width * grad.height;
  for (let i = 0; i < n; i += 2) {
    let best = 0;
    for (let c = 0; c < 3; c++) {
      const gx = grad.planes[2 * c][i], gy = grad.planes[2 * c + 1][i];
      const m = gx * gx + gy * gy;
      if (m > best) best = m;
    }
    hist[Math.min(511, Math.sqrt(best) | 0)]++;
  }
  let acc = 0;
  const target = q * Math.ceil(n / 2);
  for (let k = 0; k < 512; k++) {
    acc += hist[k];
    if (acc >= target) return k;
  }
  return 511;
}

/**
 * Edge evidence first, proportions next, size last (a larger outline is the document, not a
 * detail of it). Proportions count with a spread of 4%: what perspective estimation leaves.
 */
function candidateScore(support: number, logError: number, areaShare: number): number {
  return support * Math.exp(-((logError / 0.04) ** 2) / 2) * Math.sqrt(Math.min(1, areaShare / 0.1));
}

/** Bilinear sample of a grey image (clamped at the edges). */
export function sampleGrey(img: GreyImage, x: number, y: number): number {
  const xc = Math.min(Math.max(x, 0), img.width - 1.001);
  const yc = Math.min(Math.max(y, 0), img.height - 1.001);
  const x0 = Math.floor(xc), y0 = Math.floor(yc);
  const fx = xc - x0, fy = yc - y0;
  const i = y0 * img.width + x0;
  const d = img.data;
  return (d[i] * (1 - fx) + d[i + 1] * fx) * (1 - fy) + (d[i + img.width] * (1 - fx) + d[i + img.width + 1] * fx) * fy;
}

/** Total least squares line through points: a point on it and its unit direction. */
function fitLine(points: Point[]): { p: Point; dir: Point } {
  let mx = 0, my = 0;
  for (const [x, y] of points) { mx += x; my += y; }
  mx /= points.length; my /= points.length;
  let sxx = 0, sxy = 0, syy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2; sxy += (x - mx) * (y - my); syy += (y - my) ** 2;
  }
  const theta = 0.5 * Math.atan2(2 * sxy, sxx - syy);
  return { p: [mx, my], dir: [Math.cos(theta), Math.sin(theta)] };
}

/**
 * Moves each side of a coarse outline (pixels of the input image) onto the strongest luma
 * step within `radius` px across it, then intersects the four fitted lines. Sides are
 * sampled over their middle 80%, clear of rounded corners (3.18 mm on ID-1, 3.7% of its
 * width) and of fingers holding a corner. A side with too few consistent edge points keeps
 * its coarse position.
 */
export function refineQuad(grey: GreyImage, coarse: Quad, radius: number): Quad {
  const lines: Array<{ p: Point; dir: Point }> = [];
  for (let s = 0; s < 4; s++) {
    const a = coarse[s], b = coarse[(s + 1) % 4];
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    const tx = (b[0] - a[0]) / len, ty = (b[1] - a[1]) / len;
    const nx = ty, ny = -tx;
    const samples = Math.max(8, Math.min(64, Math.round(len / 12)));
    const hits: Array<{ pt: Point; g: number }> = [];
    for (let k = 0; k < samples; k++) {
      const u = 0.1 + (0.8 * (k + 0.5)) / samples;
      const px = a[0] + (b[0] - a[0]) * u, py = a[1] + (b[1] - a[1]) * u;
      const profile: number[] = [];
      for (let d = -radius - 1; d <= radius + 1; d++) {
        let v = 0;
        for (const o of [-1.5, 0, 1.5]) v += sampleGrey(grey, px + nx * d + tx * o, py + ny * d + ty * o);
        profile.push(v / 3);
      }
      let bestD = 0, bestG = 0;
      for (let j = 1; j < profile.length - 1; j++) {
        const g = (profile[j + 1] - profile[j - 1]) / 2;
        if (Math.abs(g) > Math.abs(bestG)) { bestG = g; bestD = j; }
      }
      if (Math.abs(bestG) < 4) continue;
      // Sub-pixel peak: a parabola through the gradient at the peak and its neighbours.
      let offset = 0;
      if (bestD > 1 && bestD < profile.length - 2) {
        const gm = (profile[bestD] - profile[bestD - 2]) / 2, gp = (profile[bestD + 2] - profile[bestD]) / 2;
        const denom = gm - 2 * bestG + gp;
        if (Math.abs(denom) > 1e-6) offset = Math.max(-0.5, Math.min(0.5, (0.5 * (gm - gp)) / denom));
      }
      const d = bestD + offset - radius - 1;
      hits.push({ pt: [px + nx * d, py + ny * d], g: bestG });
    }
    // Keep the dominant contrast polarity: the card edge is darker-to-lighter the same way all along.
    const positive = hits.filter((h) => h.g > 0), negative = hits.filter((h) => h.g < 0);
    let points = (positive.length >= negative.length ? positive : negative).map((h) => h.pt);
    let line = { p: a, dir: [tx, ty] as Point };
    if (points.length >= Math.max(6, samples / 3)) {
      for (const limit of [radius / 2, 2.5, 1.5]) {
        line = fitLine(points);
        const kept = points.filter(([x, y]) => Math.abs((x - line.p[0]) * -line.dir[1] + (y - line.p[1]) * line.dir[0]) <= limit);
        if (kept.length < Math.max(6, samples / 3)) break;
        points = kept;
      }
      line = fitLine(points);
    }
    lines.push(line);
  }
  const refined: Point[] = [];
  for (let i = 0; i < 4; i++) {
    const prev = lines[(i + 3) % 4], cur = lines[i];
    const p = intersectLines(prev.p, [prev.p[0] + prev.dir[0], prev.p[1] + prev.dir[1]], cur.p, [cur.p[0] + cur.dir[0], cur.p[1] + cur.dir[1]]);
    // A corner that moved further than the search allows means a side locked onto something else.
    if (!p || Math.hypot(p[0] - coarse[i][0], p[1] - coarse[i][1]) > radius * 3) return coarse;
    refined.push(p);
  }
  const quad = orderQuad(refined);
  return isConvexQuad(quad, 30) ? quad : coarse;
}

/** The error the outline's geometry earns, if any (see LOCATE_LIMITS). */
export function geometryError(corners: Quad, width: number, height: number): DocumentErrorCode | null {
  const short = Math.min(width, height);
  const cropped = LOCATE_LIMITS.croppedMargin * short;
  if (corners.some(([x, y]) => x < cropped || y < cropped || x > width - 1 - cropped || y > height - 1 - cropped)) return "DOCUMENT_CROPPED";
  const share = polygonArea(corners) / (width * height);
  if (share > LOCATE_LIMITS.maxAreaShare) return "DOCUMENT_TOO_CLOSE_TO_CAMERA";
  const shortSide = Math.min(...[0, 1, 2, 3].map((i) => Math.hypot(corners[(i + 1) % 4][0] - corners[i][0], corners[(i + 1) % 4][1] - corners[i][1])));
  if (share < LOCATE_LIMITS.minAreaShare || shortSide < LOCATE_LIMITS.minShortSidePx) return "DOCUMENT_TOO_SMALL";
  const border = LOCATE_LIMITS.borderMargin * short;
  if (corners.some(([x, y]) => x < border || y < border || x > width - 1 - border || y > height - 1 - border)) return "DOCUMENT_TOO_CLOSE_TO_BORDER";
  return null;
}

/**
 * Per side, the RGB distance between the mean colour of a strip inside the outline and of a
 * strip outside it (2-6% of the outline's short side away from it, over the middle 70% of
 * the side); returns the smallest.
 */
export function sideContrast(rgb: RgbImage, corners: Quad): number {
  const sides = [0, 1, 2, 3].map((i) => Math.hypot(corners[(i + 1) % 4][0] - corners[i][0], corners[(i + 1) % 4][1] - corners[i][1]));
  const short = Math.min(...sides);
  const at = (x: number, y: number, c: number) => rgb.data[(Math.min(rgb.height - 1, Math.max(0, Math.round(y))) * rgb.width + Math.min(rgb.width - 1, Math.max(0, Math.round(x)))) * 3 + c];
  let worst = Infinity;
  for (let s = 0; s < 4; s++) {
    const a = corners[s], b = corners[(s + 1) % 4];
    const nx = (b[1] - a[1]) / sides[s], ny = -(b[0] - a[0]) / sides[s];
    const inside = [0, 0, 0], outside = [0, 0, 0];
    let n = 0;
    for (let k = 0; k < 12; k++) {
      const u = 0.15 + (0.7 * k) / 11;
      const px = a[0] + (b[0] - a[0]) * u, py = a[1] + (b[1] - a[1]) * u;
      for (const f of [0.02, 0.04, 0.06]) {
        const d = f * short;
        for (let c = 0; c < 3; c++) {
          inside[c] += at(px - nx * d, py - ny * d, c);
          outside[c] += at(px + nx * d, py + ny * d, c);
        }
        n++;
      }
    }
    worst = Math.min(worst, Math.hypot(inside[0] - outside[0], inside[1] - outside[1], inside[2] - outside[2]) / n);
  }
  return worst;
}

/** Shortest distance between two convex quads; 0 when they overlap. */
function quadGap(a: Quad, b: Quad): number {
  if (containedShare(a, b) > 0 || containedShare(b, a) > 0) return 0;
  const toSegment = (p: Point, u: Point, v: Point) => {
    const dx = v[0] - u[0], dy = v[1] - u[1];
    const t = Math.max(0, Math.min(1, ((p[0] - u[0]) * dx + (p[1] - u[1]) * dy) / (dx * dx + dy * dy || 1)));
    return Math.hypot(p[0] - u[0] - t * dx, p[1] - u[1] - t * dy);
  };
  let gap = Infinity;
  for (const [p, q] of [[a, b], [b, a]] as Array<[Quad, Quad]>) {
    for (const corner of p) for (let i = 0; i < 4; i++) gap = Math.min(gap, toSegment(corner, q[i], q[(i + 1) % 4]));
  }
  return gap;
}

/** Image proportions within 1% of a document's: the picture may be the document itself. */
const FULL_FRAME_ASPECT_ERROR = 0.01;

/**
 * Finds candidate outlines of the document. Candidates come from a copy downscaled to 800 px
 * (closed edge loops and quadrilaterals of straight edges, see findCandidates); those with
 * edges along most of their perimeter and ID-1 or passport proportions are refined at full
 * resolution and scored again on the refined corners. Which of them is the document is
 * decided with the portrait (select.ts): a document's details (the block of text fields, the
 * zone below the header) also have straight edges all round and sometimes its proportions.
 *
 * When the image itself has a document's proportions the whole frame is offered first
 * (`fullFrame`): a digital original, cut at the document's edges. With no candidate at all,
 * the error says whether a document cut by the frame was seen (DOCUMENT_CROPPED) or none.
 */
export function locateDocument(cv: CV, rgb: RgbImage, grey: GreyImage, options: { debug?: boolean; full?: InstanceType<CV["Mat"]> } = {}): LocateResult {
  const scale = Math.max(rgb.width, rgb.height) / SEARCH_LONG_SIDE;
  // The caller's copy of the image in OpenCV's heap, if it has one (analyze.ts keeps one for rectifying).
  let full = options.full;
  if (!full) {
    full = new cv.Mat(rgb.height, rgb.width, cv.CV_8UC3);
    full.data.set(rgb.data);
  }
  const small = new cv.Mat();
  if (scale > 1) cv.resize(full, small, new cv.Size(Math.round(rgb.width / scale), Math.round(rgb.height / scale)), 0, 0, cv.INTER_AREA);
  else full.copyTo(small);
  if (full !== options.full) full.delete();
  const sx = rgb.width / small.cols, sy = rgb.height / small.rows;
  const all = findCandidates(cv, small);
  const smallArea = small.cols * small.rows;
  const smallSize = { cols: small.cols, rows: small.rows };
  small.delete();
  const imageArea = rgb.width * rgb.height;
  const toFull = (q: Quad): Quad => q.map(([x, y]) => [(x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5]) as Quad;
  const considered = options.debug
    ? all.map((c) => ({ corners: toFull(c.quad), aspect: c.aspect, kind: c.kind, support: c.support, score: c.score, onFrame: c.onFrame }))
    : undefined;

  const plausible = all
    .filter((c) => c.support >= MIN_EDGE_SUPPORT && c.logError <= MAX_ASPECT_LOG_ERROR && !c.onFrame)
    .sort((a, b) => b.score - a.score);
  // Near-identical outlines (the outer and inner boundary of one edge loop) are one.
  const distinct: Candidate[] = [];
  for (const c of plausible) {
    if (distinct.every((d) => quadIou(d.quad, c.quad) < 0.95)) distinct.push(c);
    if (distinct.length === 10) break;
  }
  // Refine the leading candidates and score them again on their refined corners.
  const radius = Math.max(8, Math.round(3 * Math.max(sx, sy)));
  const refined = distinct
    .map((c) => {
      const corners = refineQuad(grey, toFull(c.quad), radius);
      const raw = rectifiedAspect(corners, rgb.width, rgb.height);
      const aspect = raw >= 1 ? raw : 1 / raw;
      const { kind, logError } = nearestKind(aspect);
      const area = polygonArea(corners);
      const contrast = sideContrast(rgb, corners);
      // A side with the same colour on both of its sides is a seam of the desk, not the document's edge.
      const score = candidateScore(c.support, logError, area / imageArea) * Math.sqrt(Math.min(1, contrast / 12));
      return { corners, aspect, kind, logError, support: c.support, area, score, contrast };
    })
    .filter((c) => c.logError <= MAX_ASPECT_LOG_ERROR)
    .sort((a, b) => b.score - a.score);

  const outlineOf = (c: (typeof refined)[number]): DocumentOutline => ({
    corners: c.corners,
    kind: c.kind,
    aspect: c.aspect,
    edgeSupport: c.support,
    areaShare: c.area / imageArea,
    score: c.score,
    sideContrast: c.contrast,
    fullFrame: false,
  });

  const frame = nearestKind(rgb.width / rgb.height);
  const fullFrame: DocumentOutline | null =
    frame.logError <= FULL_FRAME_ASPECT_ERROR
      ? {
          corners: [[0, 0], [rgb.width, 0], [rgb.width, rgb.height], [0, rgb.height]],
          kind: frame.kind,
          aspect: rgb.width >= rgb.height ? rgb.width / rgb.height : rgb.height / rgb.width,
          edgeSupport: 0,
          areaShare: 1,
          score: 0,
          sideContrast: 0,
          fullFrame: true,
        }
      : null;

  // Documents cut by the frame: loops closed by the frame, with two long, fully edged sides.
  const shortSmall = Math.min(smallSize.cols, smallSize.rows);
  const cut = all
    .filter((c) => {
      if (!c.onFrame || c.area < 0.03 * smallArea) return false;
      const edged = [0, 1, 2, 3].filter((i) => {
        const a = c.quad[i], b = c.quad[(i + 1) % 4];
        const onFrame = isOnFrame(a, smallSize.cols, smallSize.rows) && isOnFrame(b, smallSize.cols, smallSize.rows);
        return !onFrame && c.sideSupport[i] >= 0.85 && Math.hypot(b[0] - a[0], b[1] - a[1]) >= 0.15 * shortSmall;
      });
      return edged.length >= 2;
    })
    .sort((a, b) => b.area - a.area)
    .slice(0, 3)
    .map((c) => toFull(c.quad));
  if (refined.length === 0) {
    if (fullFrame) return { outlines: [fullFrame], error: null, cut, considered };
    if (cut.length > 0) {
      const outline: DocumentOutline = { corners: cut[0], kind: "id1", aspect: 0, edgeSupport: 0, areaShare: polygonArea(cut[0]) / imageArea, score: 0, sideContrast: 0, fullFrame: false };
      return { outlines: [outline], error: "DOCUMENT_CROPPED", cut, considered };
    }
    return { outlines: [], error: "DOCUMENT_NOT_FOUND", cut, considered };
  }
  const outlines = refined.map(outlineOf);
  // Inside a frame of document proportions, an outline may be a detail of a digital original:
  // the frame goes first, and needs a large portrait on its left to be taken.
  if (fullFrame) outlines.unshift(fullFrame);
  return { outlines, error: null, cut, considered };
}

/**
 * True when an ID-1 `outline` is a detail of a card the frame cuts: it lies inside one of the
 * cut regions, which is 1.15-3 times larger, and two of its sides run along that region's
 * sides (the card's own edges; the frame closes the rest). Not for passport pages: the
 * booklet's facing page beyond the data page is often cut by the frame with the page whole.
 */
export function cutBy(outline: DocumentOutline, cut: Quad[]): boolean {
  if (outline.kind !== "id1" || outline.fullFrame) return false;
  const corners = outline.corners;
  return cut.some((region) => {
    const ratio = polygonArea(region) / polygonArea(corners);
    if (containedShare(corners, region) < 0.9 || ratio < 1.15 || ratio > 3) return false;
    const scale = Math.sqrt(polygonArea(region));
    let shared = 0;
    for (let i = 0; i < 4; i++) {
      const a = corners[i], b = corners[(i + 1) % 4];
      const angle = Math.atan2(b[1] - a[1], b[0] - a[0]);
      const mid: Point = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
      const along = [0, 1, 2, 3].some((j) => {
        const p = region[j], q = region[(j + 1) % 4];
        const len = Math.hypot(q[0] - p[0], q[1] - p[1]);
        if (len < 1) return false;
        const turn = Math.abs(Math.sin(Math.atan2(q[1] - p[1], q[0] - p[0]) - angle));
        const distance = Math.abs((q[0] - p[0]) * (mid[1] - p[1]) - (q[1] - p[1]) * (mid[0] - p[0])) / len;
        return turn < 0.09 && distance < 0.03 * scale;
      });
      if (along) shared++;
    }
    return shared >= 2;
  });
}

/**
 * Outlines that count as other documents next to `chosen` (TOO_MANY_DOCUMENTS): clear of it
 * by 3% of the image's short side (the facing page of a booklet touches the data page),
 * within a factor of 1 / 0.35 of its area, with strong edges and half its score.
 */
export function otherDocuments(chosen: DocumentOutline, outlines: DocumentOutline[], width: number, height: number): DocumentOutline[] {
  const shortSide = Math.min(width, height);
  return outlines.filter(
    (c) =>
      c !== chosen &&
      !c.fullFrame &&
      quadGap(c.corners, chosen.corners) >= 0.03 * shortSide &&
      c.areaShare >= LOCATE_LIMITS.otherDocumentArea * chosen.areaShare &&
      c.areaShare * LOCATE_LIMITS.otherDocumentArea <= chosen.areaShare &&
      c.edgeSupport >= 0.8 &&
      c.score >= LOCATE_LIMITS.otherDocumentScore * chosen.score,
  );
}
