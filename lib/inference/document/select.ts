import "server-only";
import type { Point } from "../geometry";
import type { RgbImage } from "../image";
import type { ModelSet } from "../models";
import { insideQuad } from "./cues/regions";
import { uniformShare } from "./cues/stats";
import { DOCUMENT_KINDS } from "./kinds";
import type { DocumentOutline } from "./locate";
import type { CV } from "./opencv";
import type { PortraitFace, PortraitPass } from "./portrait";
import { ENHANCED_PASSES, findPortraitFace, PLAIN_PASSES, portraitFits } from "./portrait";
import { applyHomography, containedShare, homographyFrom, invertHomography, polygonArea, quadIou } from "./quad";
import { documentCorners, rectifyDocument, rotateHalfTurn } from "./rectify";

/** Looks for the portrait on an outline with the given passes (see portraitLooks). */
type PortraitLook = (outline: DocumentOutline, passes: readonly PortraitPass[]) => Promise<PortraitFace | null>;

/**
 * The face where the portrait belongs on an outline, rectified at half size and either way
 * up (portrait.ts, findPortraitFace, with the given passes); null when there is none. The
 * face detector finds upright faces only, so a face found on the rectified outline is upright
 * on it: the booklet of an opened passport has a passport page's proportions turned by 90
 * degrees, with the data page's face lying on its side.
 *
 * Each outline is rectified once and its plain look remembered: selectDocument comes back to
 * outlines (an enclosing or inner member of a family, the enhanced looks on the best family),
 * and the warp and the detector give the same answer the second time.
 */
function portraitLooks(cv: CV, full: InstanceType<CV["Mat"]>, models: ModelSet): PortraitLook {
  const seen = new Map<DocumentOutline, { images: Array<() => RgbImage>; plain?: PortraitFace | null }>();
  return async (outline, passes) => {
    let entry = seen.get(outline);
    if (!entry) {
      const upright = rectifyDocument(cv, full, outline.corners, outline.kind, false, 0.5);
      let turned: RgbImage | null = null;
      entry = { images: [() => upright.image, () => (turned ??= rotateHalfTurn(upright).image)] };
      seen.set(outline, entry);
    }
    const plain = passes.length === PLAIN_PASSES.length && passes.every((p, i) => p === PLAIN_PASSES[i]);
    if (plain && entry.plain !== undefined) return entry.plain;
    const face = await findPortraitFace(models, entry.images, { passes });
    if (plain) entry.plain = face;
    return face;
  };
}

/**
 * A face found on `detail` (rectified at half size, upright or turned as `face.index` says)
 * as seen on `outer`, an outline around it, rectified the same way: its box carried through
 * the image. "sideways" when it lies on its side there (`outer` is a booklet around a page, a
 * container turned by 90 degrees), "misplaced" when it is upright but not where a portrait
 * belongs, and otherwise the face on `outer`.
 */
function faceOnEnclosing(detail: DocumentOutline, face: PortraitFace, outer: DocumentOutline): PortraitFace | "sideways" | "misplaced" {
  const frame = (o: DocumentOutline, flip: boolean) => {
    const width = Math.round(DOCUMENT_KINDS[o.kind].width * 0.5), height = Math.round(DOCUMENT_KINDS[o.kind].height * 0.5);
    const target: Point[] = [[0, 0], [width, 0], [width, height], [0, height]];
    return { width, height, toImage: homographyFrom(target, documentCorners(o.corners, flip)) };
  };
  const from = frame(detail, face.index === 1);
  const to = frame(outer, false);
  const toOuter = invertHomography(to.toImage);
  const carry = (p: Point) => applyHomography(toOuter, applyHomography(from.toImage, p));
  const { x1, y1, x2, y2 } = face.box;
  const top = carry([(x1 + x2) / 2, y1]), bottom = carry([(x1 + x2) / 2, y2]);
  // The face's up must stay up (or turn over) on the outer document, not lie on its side.
  if (Math.abs(bottom[0] - top[0]) > Math.abs(bottom[1] - top[1])) return "sideways";
  const flipped = bottom[1] < top[1];
  const corners = ([[x1, y1], [x2, y1], [x2, y2], [x1, y2]] as Point[]).map(carry).map(([x, y]) => (flipped ? ([to.width - x, to.height - y] as Point) : ([x, y] as Point)));
  const box = { x1: Math.min(...corners.map((p) => p[0])), y1: Math.min(...corners.map((p) => p[1])), x2: Math.max(...corners.map((p) => p[0])), y2: Math.max(...corners.map((p) => p[1])) };
  if (!portraitFits(box, to.width, to.height)) return "misplaced";
  return { index: flipped ? 1 : 0, width: to.width, height: to.height, box, score: face.score };
}

/** The chosen outline and the portrait's face found on it at half size (portrait.ts, PortraitFace). */
export interface SelectedDocument {
  outline: DocumentOutline;
  face: PortraitFace | null;
}

/**
 * Picks the document among the located outlines, with the portrait's face found on it.
 * Outlines that overlap form a family (the document, details of it with straight edges all
 * round, the booklet, screen or sheet around it). A family's document is its best-scoring
 * member with a face where the portrait belongs (portrait.ts, PORTRAIT_PLACE), then:
 * - the largest member around that one scoring at least 80% as well, with the portrait too
 *   and document content between the two, is taken instead: a detail's straight sides are
 *   often crisper than the document's (a passport page's binding is a soft shadow);
 * - and a member inside the chosen one, with the portrait and a flat ring between the two,
 *   is taken instead: the chosen one was the screen showing the document (its viewer is
 *   flat) or the sheet it is printed on.
 * On a booklet or sheet the face is usually too small, or lies on its side. Families are
 * tried best score first. The back side has no portrait: its best-scoring outline is taken.
 *
 * Faces are looked for plainly first, on every family; only when none shows one are the
 * enhanced looks of portrait.ts (the portrait's zone enlarged, contrast-stretched,
 * descreened) tried, on the ENHANCED_MEMBERS best distinct members of the best family: they
 * take several detector runs an outline.
 *
 * A full-frame outline (first when offered) is checked by itself, plainly, with the stricter
 * full-frame rule of findPortrait applied afterwards.
 */
export async function selectDocument(
  cv: CV,
  rgb: RgbImage,
  full: InstanceType<CV["Mat"]>,
  models: ModelSet | null,
  outlines: DocumentOutline[],
): Promise<SelectedDocument | null> {
  const framed = outlines.filter((o) => !o.fullFrame);
  if (!models) {
    const outline = framed[0] ?? outlines[0];
    return outline ? { outline, face: null } : null;
  }
  const portraitOn = portraitLooks(cv, full, models);
  const frame = outlines.find((o) => o.fullFrame);
  if (frame) {
    const face = await portraitOn(frame, PLAIN_PASSES);
    if (face) return { outline: frame, face };
  }

  const families: Array<DocumentOutline[]> = [];
  for (const o of framed) {
    const family = families.find((f) => f.some((m) => containedShare(o.corners, m.corners) > 0.85 || containedShare(m.corners, o.corners) > 0.85));
    if (family) family.push(o);
    else if (families.length < 3) families.push([o]);
  }
  for (const family of families) {
    const chosen = await chooseInFamily(rgb, portraitOn, family);
    if (chosen) return chosen;
  }
  // No face to the plain look: the enhanced looks, on the best family's leading members only.
  // They find faces less selectively than the plain look, so no detail or ring is preferred on
  // their word. A face they find inside an outline tried before is carried onto it: where a
  // portrait belongs there, that outline is the document (the face was on its left part);
  // upright elsewhere, it is no portrait (the face was on a block of text); on its side, the
  // outline around is a booklet and the inner one the page.
  const tried: DocumentOutline[] = [];
  for (const member of families[0] ?? []) {
    if (tried.length === ENHANCED_MEMBERS) break;
    if (tried.some((t) => quadIou(t.corners, member.corners) > 0.9)) continue;
    const face = await portraitOn(member, ENHANCED_PASSES);
    const enclosing = tried.filter((t) => containedShare(member.corners, t.corners) >= 0.9);
    tried.push(member);
    if (!face) continue;
    const seen = enclosing.map((outer) => ({ outer, seen: faceOnEnclosing(member, face, outer) }));
    if (seen.some((s) => s.seen === "misplaced")) continue;
    const onOuter = seen.find((s) => typeof s.seen !== "string");
    if (onOuter) return { outline: onOuter.outer, face: onOuter.seen as PortraitFace };
    return { outline: member, face };
  }
  return null;
}

/** The document of one family (see selectDocument), its faces looked for plainly; null when no member shows one. */
async function chooseInFamily(rgb: RgbImage, portraitOn: PortraitLook, family: DocumentOutline[]): Promise<SelectedDocument | null> {
  let chosen: SelectedDocument | null = null;
  const failed: DocumentOutline[] = [];
  for (const member of family) {
    if (failed.length === MAX_MEMBERS_TRIED) break;
    // A near-copy of an outline without the portrait has none either.
    if (failed.some((f) => quadIou(f.corners, member.corners) > 0.9)) continue;
    const face = await portraitOn(member, PLAIN_PASSES);
    if (face) {
      chosen = { outline: member, face };
      break;
    }
    failed.push(member);
  }
  if (!chosen) return null;
  // A nearly as good outline around it, with the portrait too, is the document and the
  // chosen one a detail of it (the page less its machine-readable zone, say).
  const best = chosen.outline;
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
    const face = await portraitOn(member, PLAIN_PASSES);
    if (face) {
      chosen = { outline: member, face };
      break;
    }
  }
  // Conversely, an outline inside it with the portrait, separated from it by a flat ring,
  // is the document and the chosen one the screen showing it or the sheet it is printed on.
  const outer = chosen.outline;
  const inner = family
    .filter((m) => m !== outer && polygonArea(m.corners) < 0.8 * polygonArea(outer.corners) && containedShare(m.corners, outer.corners) > 0.9 && ringIsFlat(rgb, m, outer))
    .sort((a, b) => b.score - a.score);
  for (const member of inner.slice(0, 2)) {
    const face = await portraitOn(member, PLAIN_PASSES);
    if (face) {
      chosen = { outline: member, face };
      break;
    }
  }
  return chosen;
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

/** Distinct members of a family tried for a portrait, best score first: with the plain look, and of the best family with the enhanced ones. */
const MAX_MEMBERS_TRIED = 5;
const ENHANCED_MEMBERS = 3;
