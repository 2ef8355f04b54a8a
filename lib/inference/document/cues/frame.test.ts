import { describe, expect, it } from "vitest";
import type { GreyImage } from "../locate";
import type { Quad } from "../quad";
import { deviceFrame, findStraightBands, paperSheet } from "./frame";

const WIDTH = 900, HEIGHT = 700;
/** A 400 x 252 px ID-1-shaped document, axis-aligned, clockwise from the top-left. */
const DOC: Quad = [[250, 224], [650, 224], [650, 476], [250, 476]];

/** A grey image filled by `luma(x, y)` plus a little white noise. */
function grey(luma: (x: number, y: number) => number): GreyImage {
  const data = new Uint8Array(WIDTH * HEIGHT);
  let seed = 11;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed / 0x7fffffff - 0.5) * 4;
  };
  for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < WIDTH; x++) data[y * WIDTH + x] = Math.max(0, Math.min(255, Math.round(luma(x, y) + noise())));
  return { data, width: WIDTH, height: HEIGHT };
}

const inRect = (x: number, y: number, [x0, y0, x1, y1]: number[]) => x >= x0 && x < x1 && y >= y0 && y < y1;
const docLuma = (x: number, y: number) => 200 + 20 * Math.sin(x / 7) * Math.sin(y / 5);

describe("straight bands around the document", () => {
  it("finds a phone's frame: an unlit viewer ending at the bezel, on all four sides", () => {
    // Document on a black viewer, the device's edge 60 px out, a mid-grey desk beyond.
    const image = grey((x, y) => (inRect(x, y, [250, 224, 650, 476]) ? docLuma(x, y) : inRect(x, y, [190, 164, 710, 536]) ? 6 : 120));
    const bands = findStraightBands(image, DOC, 220);
    const frame = deviceFrame(bands);
    expect(frame.sides).toBe(4);
    expect(frame.width).toBeGreaterThan(0.2);
    expect(frame.width).toBeLessThan(0.27);
    expect(frame.level).toBeLessThan(0.1);
    expect(paperSheet(bands).sides).toBe(0);
  });

  it("finds a white viewer followed by a dark bezel", () => {
    const image = grey((x, y) => (inRect(x, y, [250, 224, 650, 476]) ? docLuma(x, y) : inRect(x, y, [180, 154, 720, 546]) ? 235 : inRect(x, y, [165, 139, 735, 561]) ? 8 : 150));
    expect(deviceFrame(findStraightBands(image, DOC, 220)).sides).toBe(4);
  });

  it("finds a print's sheet: blank paper as white as the document, ending at the sheet's edge", () => {
    const image = grey((x, y) => (inRect(x, y, [250, 224, 650, 476]) ? docLuma(x, y) : inRect(x, y, [150, 124, 750, 600]) ? 215 : 90));
    const bands = findStraightBands(image, DOC, 220);
    expect(paperSheet(bands).sides).toBe(4);
    expect(deviceFrame(bands).sides).toBe(0);
  });

  it("finds no frame around a card on a textured desk, nor on a narrow dark cover edge", () => {
    const desk = grey((x, y) => (inRect(x, y, [250, 224, 650, 476]) ? docLuma(x, y) : 90 + 40 * Math.sin(x / 13 + 3 * Math.sin(y / 29)) * Math.cos(y / 17)));
    expect(deviceFrame(findStraightBands(desk, DOC, 220)).sides).toBe(0);
    // A passport's cover: 8 px (3% of the page's height) of dark red-brown, then the desk.
    const cover = grey((x, y) => (inRect(x, y, [250, 224, 650, 476]) ? docLuma(x, y) : inRect(x, y, [242, 216, 658, 484]) ? 30 : 120));
    expect(deviceFrame(findStraightBands(cover, DOC, 220)).sides).toBe(0);
  });
});
