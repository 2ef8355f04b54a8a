import "server-only";
import { detectBoxes } from "../detect";
import type { Box, Point } from "../geometry";
import type { RgbImage } from "../image";
import type { ModelSet } from "../models";
import { insideQuad } from "./cues/regions";
import { uniformShare } from "./cues/stats";
import type { DocumentOutline } from "./locate";
import type { CV } from "./opencv";
import { containedShare, polygonArea, quadIou } from "./quad";
import { rectifyDocument, rotateHalfTurn } from "./rectify";

/**
 * Where a document's portrait may be, in the document's own proportions: its face's centre
 * within 5-42% of the length from a short side (ID-1 cards and passport data pages put the
 * portrait at the left; a document photographed upside down has it at the right), 20-80% of
 * the height, and the face box 18-65% of the document's height (ICAO-conforming portraits
 * fill 0.36-0.41 of it with the whole head; the detector's box is tighter).
 */
export const PORTRAIT_PLACE = { fromShortSide: [0.05, 0.42], height: [0.2, 0.8], faceHeight: [0.18, 0.65] } as const;

/** True when a face box on a rectified document (`width` x `height`, either way up) sits where its portrait belongs. */
export function portraitFits(box: Box, width: number, height: number): boolean {
  const u = (box.x1 + box.x2) / 2 / width, v = (box.y1 + box.y2) / 2 / height;
  const h = (box.y2 - box.y1) / height;
  const within = (x: number, [lo, hi]: readonly [number, number]) => x >= lo && x <= hi;
  return within(Math.min(u, 1 - u), PORTRAIT_PLACE.fromShortSide) && within(v, PORTRAIT_PLACE.height) && within(h, PORTRAIT_PLACE.faceHeight);
}

/**
 * Whether a face sits where the portrait belongs on the outline, rectified at half size and
 * either way up. The face detector finds upright faces only, so a face found on the
 * rectified outline is upright on it: the booklet of an opened passport has a passport
 * page's proportions turned by 90 degrees, with the data page's face lying on its side.
 */
async function hasPortrait(cv: CV, full: InstanceType<CV["Mat"]>, models: ModelSet, outline: DocumentOutline): Promise<boolean> {
  const upright = rectifyDocument(cv, full, outline.corners, outline.kind, false, 0.5);
  for (const doc of [upright, rotateHalfTurn(upright)]) {
    const boxes = await detectBoxes(models, doc.image);
    if (boxes.some((b) => portraitFits(b.box, doc.image.width, doc.image.height))) return true;
  }
  return false;
}

/**
 * Picks the document among the located outlines. Outlines that overlap form a family (the
 * document, details of it with straight edges all round, the booklet, screen or sheet
 * around it). A family's document is its best-scoring member with a face where the
 * portrait belongs (PORTRAIT_PLACE), then:
 * - the largest member around that one scoring at least 80% as well, with the portrait too
 *   and document content between the two, is taken instead: a detail's straight sides are
 *   often crisper than the document's (a passport page's binding is a soft shadow);
 * - and a member inside the chosen one, with the portrait and a flat ring between the two,
 *   is taken instead: the chosen one was the screen showing the document (its viewer is
 *   flat) or the sheet it is printed on.
 * On a booklet or sheet the face is usually too small, or lies on its side. Families are
 * tried best score first. The back side has no portrait: its best-scoring outline is taken.
 *
 * A full-frame outline (first when offered) is checked by itself, with the stricter
 * full-frame rule of findPortrait applied afterwards.
 */
export async function selectDocument(
  cv: CV,
  rgb: RgbImage,
  full: InstanceType<CV["Mat"]>,
  models: ModelSet | null,
  outlines: DocumentOutline[],
): Promise<DocumentOutline | null> {
  const framed = outlines.filter((o) => !o.fullFrame);
  if (!models) return framed[0] ?? outlines[0] ?? null;
  const frame = outlines.find((o) => o.fullFrame);
  if (frame && (await hasPortrait(cv, full, models, frame))) return frame;

  const families: Array<DocumentOutline[]> = [];
  for (const o of framed) {
    const family = families.find((f) => f.some((m) => containedShare(o.corners, m.corners) > 0.85 || containedShare(m.corners, o.corners) > 0.85));
    if (family) family.push(o);
    else if (families.length < 3) families.push([o]);
  }
  for (const family of families) {
    let chosen: DocumentOutline | null = null;
    const failed: DocumentOutline[] = [];
    for (const member of family) {
      if (failed.length === MAX_MEMBERS_TRIED) break;
      // A near-copy of an outline without the portrait has none either.
      if (failed.some((f) => quadIou(f.corners, member.corners) > 0.9)) continue;
      if (await hasPortrait(cv, full, models, member)) {
        chosen = member;
        break;
      }
      failed.push(member);
    }
    if (!chosen) continue;
    // A nearly as good outline around it, with the portrait too, is the document and the
    // chosen one a detail of it (the page less its machine-readable zone, say).
    const best = chosen;
    const larger = family
      .filter(
        (m) =>
          m !== best &&
          m.score >= NEARLY_AS_GOOD * best.score &&
          m.sideContrast >= ENCLOSING_CONTRAST &&
          polygonArea(m.corners) > polygonArea(best.corners) &&
          containedShare(best.corners, m.corners) > 0.9 &&
          !ringIsFlat(rgb, best, m),
      )
      .sort((a, b) => polygonArea(b.corners) - polygonArea(a.corners));
    for (const member of larger) {
      if (await hasPortrait(cv, full, models, member)) {
        chosen = member;
        break;
      }
    }
    // Conversely, an outline inside it with the portrait, separated from it by a flat ring,
    // is the document and the chosen one the screen showing it or the sheet it is printed on.
    const outer = chosen;
    const inner = family
      .filter((m) => m !== outer && polygonArea(m.corners) < 0.8 * polygonArea(outer.corners) && containedShare(m.corners, outer.corners) > 0.9 && ringIsFlat(rgb, m, outer))
      .sort((a, b) => b.score - a.score);
    for (const member of inner.slice(0, 2)) {
      if (await hasPortrait(cv, full, models, member)) {
        chosen = member;
        break;
      }
    }
    return chosen;
  }
  return null;
}

/**
 * True when the ring between an outline and one enclosing it is mostly one flat colour: a
 * screen's viewer around the document shown on it, the blank paper around a printed one.
 * Between a document and a detail of it lies more of the document (text, a header band).
 */
function ringIsFlat(rgb: RgbImage, inner: DocumentOutline, outer: DocumentOutline): boolean {
  const xs = outer.corners.map((p) => p[0]), ys = outer.corners.map((p) => p[1]);
  const step = Math.max(2, Math.round(Math.sqrt(polygonArea(outer.corners) / 4000)));
  const points: Point[] = [];
  for (let y = Math.max(0, Math.floor(Math.min(...ys))); y < Math.min(rgb.height, Math.max(...ys)); y += step) {
    for (let x = Math.max(0, Math.floor(Math.min(...xs))); x < Math.min(rgb.width, Math.max(...xs)); x += step) {
      if (insideQuad(outer.corners, [x, y]) && !insideQuad(inner.corners, [x, y])) points.push([x, y]);
    }
  }
  return points.length > 0 && uniformShare(rgb, points) >= 0.5;
}

/** Score share at which an enclosing outline is preferred to the best one. */
const NEARLY_AS_GOOD = 0.8;
/**
 * Smallest side contrast (locate.ts, sideContrast) of an enclosing outline preferred that way:
 * every side must have the document on its inside and something else outside. An outline
 * closed by a seam of the desk beyond the card has desk on both sides of that side (8-12 on
 * the tuning specimens); a passport page against its cover and binding shows 30 and more.
 */
const ENCLOSING_CONTRAST = 15;

/** Distinct members of a family tried for a portrait, best score first. */
const MAX_MEMBERS_TRIED = 5;
