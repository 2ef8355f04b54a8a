interface Plan {
  n: number;
  cos: Float64Array;
  sin: Float64Array;
  /** Index pairs (i, j), i < j, swapped by the bit-reversal permutation: the others stay in place. */
  swaps: Uint32Array;
}

/** Twiddle factors and bit-reversal swaps per size, built once. */
const plans = new Map<number, Plan>();

function planFor(n: number): Plan {
  let plan = plans.get(n);
  if (!plan) {
    if (n < 2 || (n & (n - 1)) !== 0) throw new Error(`FFT size ${n} is not a power of two`);
    const cos = new Float64Array(n / 2), sin = new Float64Array(n / 2);
    for (let i = 0; i < n / 2; i++) {
      cos[i] = Math.cos((-2 * Math.PI * i) / n);
      sin[i] = Math.sin((-2 * Math.PI * i) / n);
    }
    const bits = Math.log2(n);
    const swaps: number[] = [];
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      if (r > i) swaps.push(i, r);
    }
    plan = { n, cos, sin, swaps: Uint32Array.from(swaps) };
    plans.set(n, plan);
  }
  return plan;
}

/*
 * Both passes below are the textbook iterative radix-2 FFT (bit reversal, then butterflies of
 * size 2, 4, ..., n), and each output is computed by exactly the same products and sums, in
 * the same order, as that textbook loop would, so the spectra are bit-identical to it (fft.test.ts
 * checks this against a copy of the plain version). What differs is only the order in which
 * independent butterflies are visited, and that two stages are done on four values held in
 * registers before they go back to memory: the sizes s and 2s of one group of four points
 * (q, q + s/2, q + s, q + 3s/2, along a row or a column) use no other point, so the memory is read and written half
 * as often. This is a radix-4 loop with radix-2 arithmetic; true radix-4 butterflies would round
 * differently. The k = 0 twiddle (1, -0) and the k = n/4 one (6e-17, -1) are still multiplied,
 * not skipped: skipping them would change the last bit of some values and the sign of some zeros.
 */

/** Butterflies of sizes 2 and 4 on points p0..p3 (consecutive along a row or a column): the size-2 twiddle is 1, a plain sum and difference. */
function firstTwoStages(re: Float64Array, im: Float64Array, p0: number, p1: number, p2: number, p3: number, c0: number, s0: number, c1: number, s1: number): void {
  let ar = re[p0], ai = im[p0], br = re[p1], bi = im[p1];
  const v0r = ar + br, v0i = ai + bi, v1r = ar - br, v1i = ai - bi;
  ar = re[p2]; ai = im[p2]; br = re[p3]; bi = im[p3];
  const v2r = ar + br, v2i = ai + bi, v3r = ar - br, v3i = ai - bi;
  let xr = v2r * c0 - v2i * s0, xi = v2r * s0 + v2i * c0;
  re[p2] = v0r - xr; im[p2] = v0i - xi;
  re[p0] = v0r + xr; im[p0] = v0i + xi;
  xr = v3r * c1 - v3i * s1; xi = v3r * s1 + v3i * c1;
  re[p3] = v1r - xr; im[p3] = v1i - xi;
  re[p1] = v1r + xr; im[p1] = v1i + xi;
}

/**
 * Butterflies of sizes s and 2s on the group q, q + s/2, q + s, q + 3s/2 (p0..p3): the size-s
 * pairs (p0, p1) and (p2, p3) with twiddle w, then the size-2s pairs (p0, p2) with u and (p1, p3) with v.
 */
function twoStages(re: Float64Array, im: Float64Array, p0: number, p1: number, p2: number, p3: number, wr: number, wi: number, ur: number, ui: number, vr: number, vi: number): void {
  let ar = re[p0], ai = im[p0], br = re[p1], bi = im[p1];
  let xr = br * wr - bi * wi, xi = br * wi + bi * wr;
  const a0r = ar + xr, a0i = ai + xi, a1r = ar - xr, a1i = ai - xi;
  ar = re[p2]; ai = im[p2]; br = re[p3]; bi = im[p3];
  xr = br * wr - bi * wi; xi = br * wi + bi * wr;
  const a2r = ar + xr, a2i = ai + xi, a3r = ar - xr, a3i = ai - xi;
  xr = a2r * ur - a2i * ui; xi = a2r * ui + a2i * ur;
  re[p2] = a0r - xr; im[p2] = a0i - xi;
  re[p0] = a0r + xr; im[p0] = a0i + xi;
  xr = a3r * vr - a3i * vi; xi = a3r * vi + a3i * vr;
  re[p3] = a1r - xr; im[p3] = a1i - xi;
  re[p1] = a1r + xr; im[p1] = a1i + xi;
}

/** One radix-2 butterfly on points a and b with twiddle w. */
function butterfly(re: Float64Array, im: Float64Array, a: number, b: number, wr: number, wi: number): void {
  const ar = re[a], ai = im[a], br = re[b], bi = im[b];
  const xr = br * wr - bi * wi, xi = br * wi + bi * wr;
  re[b] = ar - xr; im[b] = ai - xi;
  re[a] = ar + xr; im[a] = ai + xi;
}

/** In-place FFT of the row of `n` complex values at `offset`. */
function fftRow(plan: Plan, re: Float64Array, im: Float64Array, offset: number): void {
  const { n, cos, sin, swaps } = plan;
  for (let s = 0; s < swaps.length; s += 2) {
    const a = offset + swaps[s], b = offset + swaps[s + 1];
    let t = re[a]; re[a] = re[b]; re[b] = t;
    t = im[a]; im[a] = im[b]; im[b] = t;
  }
  const end = offset + n;
  if (n === 2) {
    const ar = re[offset], ai = im[offset], br = re[offset + 1], bi = im[offset + 1];
    re[offset + 1] = ar - br; im[offset + 1] = ai - bi;
    re[offset] = ar + br; im[offset] = ai + bi;
    return;
  }
  // Sizes 2 (twiddle 1: a plain sum and difference) and 4.
  const c0 = cos[0], s0 = sin[0], c1 = cos[n / 4], s1 = sin[n / 4];
  for (let p0 = offset; p0 < end; p0 += 4) firstTwoStages(re, im, p0, p0 + 1, p0 + 2, p0 + 3, c0, s0, c1, s1);
  let size = 8;
  // Sizes s and 2s together, k outermost: the three twiddles of a k are loaded once per row.
  for (; 2 * size <= n; size *= 4) {
    const h = size >> 1, stepA = n / size, stepB = stepA >> 1;
    for (let k = 0; k < h; k++) {
      const wr = cos[k * stepA], wi = sin[k * stepA];
      const ur = cos[k * stepB], ui = sin[k * stepB];
      const vr = cos[(k + h) * stepB], vi = sin[(k + h) * stepB];
      for (let p0 = offset + k; p0 < end; p0 += 2 * size) twoStages(re, im, p0, p0 + h, p0 + size, p0 + size + h, wr, wi, ur, ui, vr, vi);
    }
  }
  // The last size alone when the number of stages after size 4 is odd.
  if (size === n) {
    const h = size >> 1;
    for (let k = 0; k < h; k++) butterfly(re, im, offset + k, offset + k + h, cos[k], sin[k]);
  }
}

/**
 * In-place FFT of columns x0..x1 - 1 of an n x n array, all at once: the bit reversal swaps
 * whole rows, and each butterfly runs along a row with its twiddle fixed. Column by column
 * (stride n) every access lands on another cache line; this way they are consecutive.
 */
function fftColumns(plan: Plan, re: Float64Array, im: Float64Array, x0: number, x1: number): void {
  const { n, cos, sin, swaps } = plan;
  for (let s = 0; s < swaps.length; s += 2) {
    const ra = swaps[s] * n, rb = swaps[s + 1] * n;
    for (let x = x0; x < x1; x++) {
      const a = ra + x, b = rb + x;
      let t = re[a]; re[a] = re[b]; re[b] = t;
      t = im[a]; im[a] = im[b]; im[b] = t;
    }
  }
  if (n === 2) {
    for (let a = x0; a < x1; a++) {
      const b = a + n;
      const ar = re[a], ai = im[a], br = re[b], bi = im[b];
      re[b] = ar - br; im[b] = ai - bi;
      re[a] = ar + br; im[a] = ai + bi;
    }
    return;
  }
  // Sizes 2 (twiddle 1: a plain sum and difference) and 4.
  const c0 = cos[0], s0 = sin[0], c1 = cos[n / 4], s1 = sin[n / 4];
  for (let r = 0; r < n * n; r += 4 * n) {
    for (let p0 = r + x0, end = r + x1; p0 < end; p0++) firstTwoStages(re, im, p0, p0 + n, p0 + 2 * n, p0 + 3 * n, c0, s0, c1, s1);
  }
  let size = 8;
  // Sizes s and 2s together.
  for (; 2 * size <= n; size *= 4) {
    const h = size >> 1, stepA = n / size, stepB = stepA >> 1;
    for (let start = 0; start < n; start += 2 * size) {
      for (let k = 0; k < h; k++) {
        const wr = cos[k * stepA], wi = sin[k * stepA];
        const ur = cos[k * stepB], ui = sin[k * stepB];
        const vr = cos[(k + h) * stepB], vi = sin[(k + h) * stepB];
        const r = (start + k) * n, dh = h * n, ds = size * n;
        for (let p0 = r + x0, end = r + x1; p0 < end; p0++) twoStages(re, im, p0, p0 + dh, p0 + ds, p0 + ds + dh, wr, wi, ur, ui, vr, vi);
      }
    }
  }
  // The last size alone when the number of stages after size 4 is odd.
  if (size === n) {
    const h = size >> 1, dh = h * n;
    for (let k = 0; k < h; k++) {
      const wr = cos[k], wi = sin[k];
      for (let a = k * n + x0, end = k * n + x1; a < end; a++) butterfly(re, im, a, a + dh, wr, wi);
    }
  }
}

/** In-place 2-D FFT of an n x n complex array (row-major). */
export function fft2d(re: Float64Array, im: Float64Array, n: number): void {
  const plan = planFor(n);
  for (let y = 0; y < n; y++) fftRow(plan, re, im, y * n);
  fftColumns(plan, re, im, 0, n);
}

/**
 * In-place 2-D FFT of an n x n real array (`re`; `im` is only written): the same spectrum as
 * fft2d with a zero imaginary part, for about half the work. Rows go in pairs as the real and
 * imaginary parts of one complex FFT, separated by conjugate symmetry; only the columns up to
 * n/2 are transformed, the others being the complex conjugates of their mirror images.
 */
export function fft2dReal(re: Float64Array, im: Float64Array, n: number): void {
  const plan = planFor(n);
  for (let y = 0; y < n; y += 2) {
    const a = y * n, b = a + n;
    // Row y + i * row y + 1, transformed in row y's place.
    for (let x = 0; x < n; x++) im[a + x] = re[b + x];
    fftRow(plan, re, im, a);
    // Z = A + iB with A, B real: A[k] = (Z[k] + conj Z[-k]) / 2, B[k] = (Z[k] - conj Z[-k]) / 2i.
    for (let k = 0; k <= n / 2; k++) {
      const j = (n - k) % n;
      const zr = re[a + k], zi = im[a + k], wr = re[a + j], wi = im[a + j];
      re[b + k] = (zi + wi) / 2; im[b + k] = (wr - zr) / 2;
      re[a + k] = (zr + wr) / 2; im[a + k] = (zi - wi) / 2;
    }
  }
  fftColumns(plan, re, im, 0, n / 2 + 1);
  for (let y = 0; y < n; y++) {
    const my = ((n - y) % n) * n;
    for (let x = n / 2 + 1; x < n; x++) {
      re[y * n + x] = re[my + n - x];
      im[y * n + x] = -im[my + n - x];
    }
  }
}

const hannCache = new Map<number, Float64Array>();

/** Separable 2-D Hann window of size n x n, so window edges do not leak into every frequency. */
export function hann2d(n: number): Float64Array {
  let w = hannCache.get(n);
  if (!w) {
    const h = new Float64Array(n);
    for (let i = 0; i < n; i++) h[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / n);
    w = new Float64Array(n * n);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) w[y * n + x] = h[y] * h[x];
    hannCache.set(n, w);
  }
  return w;
}
