import sharp from "sharp";
import type { Identity } from "./identity";
import { printedDate, randomIdentity } from "./identity";
import { td1Mrz, td3Mrz } from "./mrz";
import { PINNED_FACES, renderPortrait } from "./portraits";
import type { RgbRaster } from "./raster";
import { valueNoise } from "./raster";
import type { Rng } from "./rng";

export type DocumentKind = "id1" | "passport";

/** The flat document as its issuer printed it, before any camera, screen or printer. */
export interface DocumentRaster extends RgbRaster {
  kind: DocumentKind;
  /** Physical size: ID-1 85.6 x 54 mm (ISO/IEC 7810), TD3 page 125 x 88 mm (Doc 9303 part 4). */
  widthMm: number;
  heightMm: number;
  dpi: number;
  identity: Identity;
  mrz: string[];
}

/**
 * 600 dpi: real cards are printed finer (offset guilloche plates, 300-600 dpi dye-sublimation
 * and laser engraving over them), but 600 dpi keeps 0.1 mm lines at 2.4 px and matches the
 * most a phone resolves here: a 3000 px photo with an ID-1 card across 70% of it samples the
 * card at 620 px per inch.
 */
export const DOCUMENT_DPI = 600;
const PX_PER_MM = DOCUMENT_DPI / 25.4;

const SIZES: Record<DocumentKind, { w: number; h: number }> = {
  id1: { w: 85.6, h: 54 },
  passport: { w: 125, h: 88 },
};

type Rgb = [number, number, number];

function hsl(h: number, s: number, l: number): Rgb {
  const hue = ((h % 360) + 360) % 360;
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((hue / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] = hue < 60 ? [c, x, 0] : hue < 120 ? [x, c, 0] : hue < 180 ? [0, c, x] : hue < 240 ? [0, x, c] : hue < 300 ? [x, 0, c] : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

const css = ([r, g, b]: Rgb) => `rgb(${r},${g},${b})`;

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const SIN_STEPS = 4096;
const SIN = (() => {
  const t = new Float32Array(SIN_STEPS);
  for (let i = 0; i < SIN_STEPS; i++) t[i] = Math.sin((2 * Math.PI * i) / SIN_STEPS);
  return t;
})();
const SIN_MASK = SIN_STEPS - 1;
const QUARTER = SIN_STEPS / 4;
/** sin(2 pi cycles), by table: the guilloche needs tens of millions of them. */
const sinCycles = (cycles: number) => SIN[((cycles * SIN_STEPS) | 0) & SIN_MASK];

/**
 * The security background: a pastel "rainbow" (split-fountain) gradient overprinted with
 * families of fine wavy lines and rosettes, like the guilloche of real cards and passports.
 * Line spacing 0.3-0.55 mm and width about 0.1 mm are those of offset-printed guilloche; the
 * detail matters, since its interaction with screens and halftones is where moire comes from.
 * `quietTop` (px) starts the MRZ's clear zone, where the pattern is printed at a third of its
 * strength (Doc 9303 part 3 asks for a background that does not disturb OCR).
 */
function renderGuilloche(rng: Rng, width: number, height: number, hue: number, quietTop: number): Buffer {
  const c0 = hsl(hue + rng.uniform(-15, 15), rng.uniform(0.3, 0.55), rng.uniform(0.86, 0.92));
  const c1 = hsl(hue + rng.uniform(25, 70), rng.uniform(0.3, 0.55), rng.uniform(0.84, 0.92));
  const gradAngle = rng.uniform(0, Math.PI);

  // The gradient and its blotches vary over centimetres: computed on a coarse grid, enlarged below.
  const coarse = 8;
  const cw = Math.ceil(width / coarse);
  const ch = Math.ceil(height / coarse);
  const blotch = valueNoise(rng.fork("blotch"), cw, ch, (14 * PX_PER_MM) / coarse, 2);
  const small = Buffer.alloc(cw * ch * 3);
  const gx = Math.cos(gradAngle) / cw;
  const gy = Math.sin(gradAngle) / ch;
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const i = y * cw + x;
      const t = Math.min(1, Math.max(0, (x - cw / 2) * gx + (y - ch / 2) * gy + 0.5 + blotch[i] * 0.25));
      const shade = 1 + blotch[i] * 0.03;
      for (let c = 0; c < 3; c++) small[i * 3 + c] = Math.min(255, Math.round((c0[c] + (c1[c] - c0[c]) * t) * shade));
    }
  }
  // Enlarged bilinearly here (sharp's cubic enlargement of a whole page takes four times
  // longer): each output row blends two coarse rows, then each pixel two coarse columns.
  const out = Buffer.alloc(width * height * 3);
  const colIndex = new Int32Array(width);
  const colFrac = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const gx = Math.min(cw - 1.001, Math.max(0, (x + 0.5) / coarse - 0.5));
    colIndex[x] = (gx | 0) * 3;
    colFrac[x] = gx - (gx | 0);
  }
  const row = new Float32Array(cw * 3);
  for (let y = 0; y < height; y++) {
    const gy = Math.min(ch - 1.001, Math.max(0, (y + 0.5) / coarse - 0.5));
    const y0 = gy | 0;
    const ty = gy - y0;
    const a0 = y0 * cw * 3;
    const b0 = a0 + cw * 3;
    for (let i = 0; i < cw * 3; i++) row[i] = small[a0 + i] + (small[b0 + i] - small[a0 + i]) * ty;
    let j = y * width * 3;
    for (let x = 0; x < width; x++, j += 3) {
      const k = colIndex[x];
      const t = colFrac[x];
      out[j] = row[k] + (row[k + 3] - row[k]) * t + 0.5;
      out[j + 1] = row[k + 1] + (row[k + 4] - row[k + 1]) * t + 0.5;
      out[j + 2] = row[k + 2] + (row[k + 5] - row[k + 2]) * t + 0.5;
    }
  }

  // Wavy line families. Per family (stride 14): cos, sin of the mean direction, 1/pitch, a1,
  // 1/l1, p1, a2, 1/l2, p2, 1/halfWidth, and the fraction of R, G, B the ink takes at full cover.
  const familyCount = rng.int(2, 3);
  const fam = new Float64Array(familyCount * 14);
  for (let k = 0; k < familyCount; k++) {
    const angle = (k === 0 ? 0 : k === 1 ? rng.uniform(0.25, 0.6) : -rng.uniform(0.25, 0.6)) + rng.uniform(-0.1, 0.1);
    const pitchMm = rng.uniform(0.3, 0.55);
    const strength = rng.uniform(0.2, 0.42);
    const ink = hsl(hue + rng.uniform(-60, 60), rng.uniform(0.4, 0.7), rng.uniform(0.35, 0.55));
    fam.set(
      [
        Math.cos(angle), Math.sin(angle), 1 / (pitchMm * PX_PER_MM),
        rng.uniform(1.5, 4) / pitchMm, 1 / (rng.uniform(10, 30) * PX_PER_MM), rng.next(),
        rng.uniform(0.3, 1.2) / pitchMm, 1 / (rng.uniform(3, 8) * PX_PER_MM), rng.next(),
        1 / (rng.uniform(0.045, 0.07) * PX_PER_MM),
        strength * (1 - ink[0] / 255), strength * (1 - ink[1] / 255), strength * (1 - ink[2] / 255), 0,
      ],
      k * 14,
    );
  }
  const TWO_PI = 2 * Math.PI;
  for (let y = 0; y < height; y++) {
    const quiet = y >= quietTop ? 0.33 : 1;
    for (let k = 0; k < familyCount; k++) {
      const o = k * 14;
      const ca = fam[o], sa = fam[o + 1], invPitch = fam[o + 2];
      const a1 = fam[o + 3], il1 = fam[o + 4], p1 = fam[o + 5];
      const a2 = fam[o + 6], il2 = fam[o + 7], p2 = fam[o + 8];
      const invHalf2 = fam[o + 9] * fam[o + 9];
      const kr = fam[o + 10] * quiet, kg = fam[o + 11] * quiet, kb = fam[o + 12] * quiet;
      const invPitch2 = invPitch * invPitch;
      const s1 = a1 * TWO_PI * il1;
      const s2 = a2 * TWO_PI * il2;
      // Phase offsets beyond this are too far from any line whatever the local slope: skip the slope.
      const farFrac2 = (invPitch2 + (Math.abs(s1) + Math.abs(s2)) ** 2) / invHalf2;
      // Along the row, the waves' table positions and the line phase advance by constant steps.
      let w1 = (y * sa * il1 + p1) * SIN_STEPS;
      let w2 = (y * sa * il2 + p2) * SIN_STEPS;
      let base = y * ca * invPitch;
      const dw1 = ca * il1 * SIN_STEPS;
      const dw2 = ca * il2 * SIN_STEPS;
      const dbase = -sa * invPitch;
      let j = y * width * 3 - 3;
      for (let x = 0; x < width; x++, w1 += dw1, w2 += dw2, base += dbase) {
        j += 3;
        // sin and cos by table, written out: this loop runs 6-18 million times per document.
        const i1 = w1 | 0;
        const i2 = w2 | 0;
        const phase = base + a1 * SIN[i1 & SIN_MASK] + a2 * SIN[i2 & SIN_MASK];
        const frac = phase - Math.floor(phase + 0.5);
        if (frac * frac >= farFrac2) continue;
        // Distance to the nearest line: phase offset over the phase gradient's length (squared).
        const slope = s1 * SIN[(i1 + QUARTER) & SIN_MASK] + s2 * SIN[(i2 + QUARTER) & SIN_MASK];
        const d2 = ((frac * frac) / (invPitch2 + slope * slope)) * invHalf2;
        if (d2 < 1) {
          const q = 1 - d2;
          const cover = q * q;
          out[j] *= 1 - cover * kr;
          out[j + 1] *= 1 - cover * kg;
          out[j + 2] *= 1 - cover * kb;
        }
      }
    }
  }

  const rosettes = rng.int(1, 2);
  for (let n = 0; n < rosettes; n++) {
    const cx = rng.uniform(0.45, 0.95) * width;
    const cy = rng.uniform(0.15, 0.6) * height;
    const radius = rng.uniform(8, 16) * PX_PER_MM;
    const pitch = rng.uniform(0.35, 0.55) * PX_PER_MM;
    const lobes = rng.int(6, 18);
    const amplitude = rng.uniform(1.5, 4);
    const invHalf = 1 / (rng.uniform(0.04, 0.06) * PX_PER_MM);
    const strength = rng.uniform(0.25, 0.45);
    const ink = hsl(hue + rng.uniform(120, 240), rng.uniform(0.35, 0.6), rng.uniform(0.4, 0.55));
    const k = [0, 1, 2].map((c) => strength * (1 - ink[c] / 255));
    const y0 = Math.max(0, Math.floor(cy - radius));
    const y1 = Math.min(height - 1, Math.ceil(cy + radius));
    const x0 = Math.max(0, Math.floor(cx - radius));
    const x1 = Math.min(width - 1, Math.ceil(cx + radius));
    for (let y = y0; y <= y1; y++) {
      const quiet = y >= quietTop ? 0.33 : 1;
      for (let x = x0; x <= x1; x++) {
        const dx = x - cx;
        const dy = y - cy;
        const rr = dx * dx + dy * dy;
        if (rr > radius * radius) continue;
        const rad = Math.sqrt(rr);
        const theta = Math.atan2(dy, dx) / TWO_PI;
        const phase = rad / pitch + amplitude * sinCycles(theta * lobes + rad / (pitch * 9));
        // Approximate gradient: the radial spacing shrinks where the lobes bend.
        const d = ((Math.abs(phase - Math.round(phase)) * pitch) / (1 + amplitude * 0.3)) * invHalf;
        if (d < 1) {
          const fade = Math.min(1, (radius - rad) / (1.5 * PX_PER_MM));
          const q = 1 - d * d;
          const cover = q * q * fade * quiet;
          const j = (y * width + x) * 3;
          out[j] *= 1 - cover * k[0];
          out[j + 1] *= 1 - cover * k[1];
          out[j + 2] *= 1 - cover * k[2];
        }
      }
    }
  }
  return out;
}

/** Copies an RGB image into an RGB page at (left, top). */
function pasteRgb(page: Buffer, pageWidth: number, src: Buffer, w: number, h: number, left: number, top: number): void {
  for (let y = 0; y < h; y++) src.copy(page, ((top + y) * pageWidth + left) * 3, y * w * 3, (y + 1) * w * 3);
}

/** Alpha-blends non-premultiplied RGBA over an RGB page at (left, top), clipped to the page. */
function blendRgba(page: Buffer, pageWidth: number, pageHeight: number, src: Buffer, w: number, h: number, left: number, top: number): void {
  for (let y = Math.max(0, -top); y < h && top + y < pageHeight; y++) {
    for (let x = Math.max(0, -left); x < w && left + x < pageWidth; x++) {
      const s = (y * w + x) * 4;
      const a = src[s + 3];
      if (a === 0) continue;
      const d = ((top + y) * pageWidth + left + x) * 3;
      const k = a / 255;
      page[d] += (src[s] - page[d]) * k;
      page[d + 1] += (src[s + 1] - page[d + 1]) * k;
      page[d + 2] += (src[s + 2] - page[d + 2]) * k;
    }
  }
}

/** A signature: a few connected cubic strokes drifting left to right, in mm. */
function signaturePath(rng: Rng, x: number, y: number, w: number, h: number): string {
  let px = x;
  let py = y + h * rng.uniform(0.3, 0.7);
  let d = `M${px.toFixed(2)} ${py.toFixed(2)}`;
  const strokes = rng.int(4, 8);
  for (let i = 0; i < strokes; i++) {
    const nx = x + (w * (i + 1)) / strokes + rng.uniform(-1, 1);
    const ny = y + h * rng.uniform(0.1, 0.9);
    const c1 = [px + rng.uniform(-2, 6), y + h * rng.uniform(-0.2, 1.2)];
    const c2 = [nx + rng.uniform(-6, 2), y + h * rng.uniform(-0.2, 1.2)];
    d += ` C${c1[0].toFixed(2)} ${c1[1].toFixed(2)} ${c2[0].toFixed(2)} ${c2[1].toFixed(2)} ${nx.toFixed(2)} ${ny.toFixed(2)}`;
    px = nx;
    py = ny;
  }
  return d;
}

/** A state emblem: rings, spokes and a star, in mm. */
function emblem(rng: Rng, cx: number, cy: number, r: number, colour: string): string {
  const spokes = rng.int(12, 32);
  const points = rng.int(5, 8);
  let star = "";
  for (let i = 0; i < points * 2; i++) {
    const a = (Math.PI * i) / points - Math.PI / 2;
    const rr = i % 2 === 0 ? r * 0.55 : r * 0.24;
    star += `${i === 0 ? "M" : "L"}${(cx + rr * Math.cos(a)).toFixed(2)} ${(cy + rr * Math.sin(a)).toFixed(2)} `;
  }
  let lines = "";
  for (let i = 0; i < spokes; i++) {
    const a = (2 * Math.PI * i) / spokes;
    lines += `M${(cx + r * 0.7 * Math.cos(a)).toFixed(2)} ${(cy + r * 0.7 * Math.sin(a)).toFixed(2)} L${(cx + r * 0.95 * Math.cos(a)).toFixed(2)} ${(cy + r * 0.95 * Math.sin(a)).toFixed(2)} `;
  }
  return `<g fill="none" stroke="${colour}" stroke-width="${(r * 0.04).toFixed(3)}" opacity="0.85">
<circle cx="${cx}" cy="${cy}" r="${r}"/><circle cx="${cx}" cy="${cy}" r="${r * 0.66}"/><path d="${lines}"/>
<path d="${star}Z" fill="${colour}" fill-opacity="0.5"/></g>`;
}

/** DejaVu Sans Mono (fontconfig's `monospace` here) advances 1233/2048 em per character. */
const MONO_ADVANCE = 1233 / 2048;

/**
 * One MRZ line at ICAO's fixed pitch of 2.54 mm (10 characters per inch, Doc 9303 part 3)
 * with a character height near OCR-B size 1's 2.4 mm.
 */
function mrzLine(text: string, x: number, baseline: number, colour: string): string {
  const size = 3.4;
  const spacing = 2.54 - MONO_ADVANCE * size;
  return `<text x="${x}" y="${baseline}" font-family="monospace" font-size="${size}" letter-spacing="${spacing.toFixed(4)}" fill="${colour}">${escapeXml(text)}</text>`;
}

interface Field {
  label: string;
  value: string;
  x: number;
  y: number;
}

function fieldSvg(f: Field, labelColour: string, valueColour: string, labelSize: number, valueSize: number, bold: boolean): string {
  return `<text x="${f.x}" y="${f.y}" font-family="sans-serif" font-size="${labelSize}" fill="${labelColour}">${escapeXml(f.label)}</text>
<text x="${f.x}" y="${(f.y + valueSize * 1.12).toFixed(2)}" font-family="sans-serif" font-size="${valueSize}" font-weight="${bold ? "bold" : "normal"}" fill="${valueColour}">${escapeXml(f.value)}</text>`;
}

/** Microprint: issuer text at 0.5-0.7 mm, a line of it along a band (a copy-protection feature). */
function microprint(text: string, x: number, y: number, length: number, size: number, colour: string): string {
  const unit = `${text.toUpperCase()} * `;
  const repeats = Math.ceil(length / (unit.length * size * 0.55)) + 1;
  return `<text x="${x}" y="${y}" font-family="sans-serif" font-size="${size}" fill="${colour}" textLength="${length}" lengthAdjust="spacingAndGlyphs">${escapeXml(unit.repeat(repeats))}</text>`;
}

/**
 * Renders a synthetic identity document of `kind` at 600 dpi: security background, issuer
 * header and emblem, a real face (from the pinned sample photos) as portrait and ghost image,
 * the holder's data, a signature and a valid ICAO 9303 MRZ (TD1 on the ID-1 card, TD3 on
 * the passport page). Deterministic in `rng`.
 */
export async function renderDocument(rng: Rng, kind: DocumentKind): Promise<DocumentRaster> {
  const size = SIZES[kind];
  const width = Math.round(size.w * PX_PER_MM);
  const height = Math.round(size.h * PX_PER_MM);
  const identity = randomIdentity(rng.fork("identity"), kind);
  const hue = rng.uniform(0, 360);
  const mrz =
    kind === "id1"
      ? td1Mrz({ documentCode: rng.pick(["I", "ID", "IC"]), issuingState: identity.issuingState, surname: identity.surname, givenNames: identity.givenNames, documentNumber: identity.documentNumber, nationality: identity.nationality, birthDate: identity.birthDate, sex: identity.sex, expiryDate: identity.expiryDate, optionalData: identity.personalNumber })
      : td3Mrz({ documentCode: "P", issuingState: identity.issuingState, surname: identity.surname, givenNames: identity.givenNames, documentNumber: identity.documentNumber, nationality: identity.nationality, birthDate: identity.birthDate, sex: identity.sex, expiryDate: identity.expiryDate, optionalData: identity.personalNumber });

  // Layout in mm. The MRZ zone: TD1's 3 lines need the bottom 14 mm, TD3's 2 lines the bottom 23.2 mm (Doc 9303).
  const layout = kind === "id1"
    ? { header: 9.5, portrait: { x: 3.5, y: 11.5, w: 22, h: 27.5 }, fieldsX: 28.5, fieldsY: 14, rowStep: 5.2, mrzTop: 40, mrzX: 4.7, mrzBaselines: [44.6, 48.6, 52.6], labelSize: 1.45, valueSize: 2.5 }
    : { header: 11, portrait: { x: 5, y: 14, w: 35, h: 45 }, fieldsX: 45, fieldsY: 16.5, rowStep: 5.6, mrzTop: 64.8, mrzX: 6.6, mrzBaselines: [76.4, 83.2], labelSize: 1.7, valueSize: 2.9 };
  const jitter = () => rng.uniform(-0.6, 0.6);
  const portraitBox = { x: layout.portrait.x + jitter(), y: layout.portrait.y + jitter() * 0.5, w: layout.portrait.w, h: layout.portrait.h };

  const background = renderGuilloche(rng.fork("guilloche"), width, height, hue, Math.round(layout.mrzTop * PX_PER_MM));

  const face = rng.pick(PINNED_FACES);
  const grey = rng.chance(kind === "id1" ? 0.45 : 0.25);
  const pw = Math.round(portraitBox.w * PX_PER_MM);
  const ph = Math.round(portraitBox.h * PX_PER_MM);
  const portrait = await renderPortrait(rng.fork("portrait"), face, { width: pw, height: ph, grey, plainBackground: rng.chance(0.6) });

  // Ghost image: the portrait again, small, grey and faint, printed into the background.
  const ghostW = Math.round((kind === "id1" ? 11 : 17) * PX_PER_MM);
  const ghostH = Math.round(ghostW * (portraitBox.h / portraitBox.w));
  const ghostGrey = await sharp(portrait.data, { raw: { width: pw, height: ph, channels: 3 } }).resize(ghostW, ghostH).greyscale().raw().toBuffer();
  const ghostAlpha = rng.uniform(0.16, 0.3);
  const ghost = Buffer.alloc(ghostW * ghostH * 4);
  for (let i = 0; i < ghostW * ghostH; i++) {
    ghost[i * 4] = ghost[i * 4 + 1] = ghost[i * 4 + 2] = ghostGrey[i] * 0.6;
    ghost[i * 4 + 3] = Math.round(255 * ghostAlpha * (1 - ghostGrey[i] / 320));
  }
  const ghostPos = kind === "id1" ? { x: 71.5 + jitter(), y: 21 + jitter() } : { x: 103 + jitter(), y: 16 + jitter() };

  const dark = css(hsl(hue + rng.uniform(-20, 20), rng.uniform(0.5, 0.75), rng.uniform(0.18, 0.3)));
  const labelColour = css(hsl(hue + rng.uniform(-30, 30), rng.uniform(0.2, 0.45), rng.uniform(0.3, 0.42)));
  const valueColour = rng.chance(0.7) ? "rgb(22,22,26)" : "rgb(20,28,70)";
  const dateStyle = rng.pick(["month", "dots", "slashes"] as const);
  const bold = rng.chance(0.7);
  const { labelSize, valueSize } = layout;
  const name = (s: string) => (rng.chance(0.8) ? s.toUpperCase() : s);
  const fx = layout.fieldsX + jitter();
  const row = (i: number) => layout.fieldsY + jitter() * 0.2 + i * layout.rowStep;
  const fields: Field[] =
    kind === "id1"
      ? [
          { label: "Surname / Nom", value: name(identity.surname), x: fx, y: row(0) },
          { label: "Given names / Prénoms", value: name(identity.givenNames), x: fx, y: row(1) },
          { label: "Sex / Sexe", value: identity.sex, x: fx, y: row(2) },
          { label: "Nationality", value: identity.nationality, x: fx + 12, y: row(2) },
          { label: "Date of birth", value: printedDate(identity.birthDate, dateStyle), x: fx + 27, y: row(2) },
          { label: "Document No.", value: identity.documentNumber, x: fx, y: row(3) },
          { label: "Date of expiry", value: printedDate(identity.expiryDate, dateStyle), x: fx + 27, y: row(3) },
        ]
      : [
          { label: "Type / Type", value: "P", x: fx, y: row(0) },
          { label: "Code / Code", value: identity.issuingState, x: fx + 16, y: row(0) },
          { label: "Passport No. / N° du passeport", value: identity.documentNumber, x: fx + 40, y: row(0) },
          { label: "Surname / Nom", value: name(identity.surname), x: fx, y: row(1) },
          { label: "Given names / Prénoms", value: name(identity.givenNames), x: fx, y: row(2) },
          { label: "Nationality / Nationalité", value: "UTOPIAN", x: fx, y: row(3) },
          { label: "Date of birth / Date de naissance", value: printedDate(identity.birthDate, dateStyle), x: fx, y: row(4) },
          { label: "Personal No.", value: identity.personalNumber || "-", x: fx + 42, y: row(4) },
          { label: "Sex / Sexe", value: identity.sex, x: fx, y: row(5) },
          { label: "Place of birth / Lieu de naissance", value: identity.birthPlace.toUpperCase(), x: fx + 16, y: row(5) },
          { label: "Date of issue / Date de délivrance", value: printedDate(identity.issueDate, dateStyle), x: fx, y: row(6) },
          { label: "Authority / Autorité", value: identity.authority, x: fx + 42, y: row(6) },
          { label: "Date of expiry / Date d'expiration", value: printedDate(identity.expiryDate, dateStyle), x: fx, y: row(7) },
        ];

  const title = kind === "id1" ? rng.pick(["IDENTITY CARD", "NATIONAL IDENTITY CARD", "IDENTITY CARD / CARTE D'IDENTITÉ"]) : "PASSPORT / PASSEPORT";
  const headerBand = rng.chance(0.5);
  const headerText = headerBand ? "rgb(250,250,250)" : dark;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${size.w} ${size.h}" preserveAspectRatio="none">
${headerBand ? `<rect x="0" y="0" width="${size.w}" height="${layout.header}" fill="${dark}" fill-opacity="0.88"/>` : ""}
${emblem(rng.fork("emblem"), layout.header * 0.6 + 1, layout.header * 0.55, layout.header * 0.4, headerBand ? "rgb(235,225,170)" : dark)}
<text x="${layout.header * 1.35 + 1.5}" y="${(layout.header * 0.42).toFixed(2)}" font-family="${rng.pick(["sans-serif", "serif"])}" font-weight="bold" font-size="${(layout.header * 0.3).toFixed(2)}" fill="${headerText}">${escapeXml(identity.issuerName.toUpperCase())}</text>
<text x="${layout.header * 1.35 + 1.5}" y="${(layout.header * 0.8).toFixed(2)}" font-family="sans-serif" font-size="${(layout.header * 0.24).toFixed(2)}" fill="${headerText}">${escapeXml(title)}</text>
${microprint(identity.issuerName, 1.5, layout.header + 0.9, size.w - 3, 0.55, labelColour)}
${microprint(identity.issuerName, 1.5, layout.mrzTop - 0.6, size.w - 3, 0.55, labelColour)}
<rect x="${portraitBox.x - 0.25}" y="${portraitBox.y - 0.25}" width="${portraitBox.w + 0.5}" height="${portraitBox.h + 0.5}" fill="none" stroke="${labelColour}" stroke-width="0.12"/>
${fields.map((f) => fieldSvg(f, labelColour, valueColour, labelSize, valueSize, bold)).join("\n")}
<path d="${signaturePath(rng.fork("signature"), kind === "id1" ? fx + 1 : 86, kind === "id1" ? row(3) + 5.8 : row(7) - 1, kind === "id1" ? 22 : 30, kind === "id1" ? 3.6 : 6)}" fill="none" stroke="rgb(25,35,110)" stroke-width="${kind === "id1" ? 0.22 : 0.28}" stroke-linecap="round"/>
${mrz.map((line, i) => mrzLine(line, layout.mrzX, layout.mrzBaselines[i], "rgb(18,18,20)")).join("\n")}
</svg>`;

  // Blended here rather than by sharp's composite, which premultiplies the whole page: 3x slower.
  const overlay = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer();
  const data = background;
  pasteRgb(data, width, portrait.data, pw, ph, Math.round(portraitBox.x * PX_PER_MM), Math.round(portraitBox.y * PX_PER_MM));
  blendRgba(data, width, height, ghost, ghostW, ghostH, Math.round(ghostPos.x * PX_PER_MM), Math.round(ghostPos.y * PX_PER_MM));
  blendRgba(data, width, height, overlay, width, height, 0, 0);
  return { kind, width, height, data, widthMm: size.w, heightMm: size.h, dpi: DOCUMENT_DPI, identity, mrz };
}
