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
 * the same order, as that textbook loop would: only the order in which independent butterflies
 * are visited differs, so the spectra are bit-identical to it (fft.test.ts checks this against
 * a copy of the plain version). The k = 0 twiddle (1, -0) is still multiplied, not skipped:
 * skipping it would change the sign of some zeros and turn infinities into something else.
 */

/** In-place FFT of the row of `n` complex values at `offset`. */
function fftRow(plan: Plan, re: Float64Array, im: Float64Array, offset: number): void {
  const { n, cos, sin, swaps } = plan;
  for (let s = 0; s < swaps.length; s += 2) {
    const a = offset + swaps[s], b = offset + swaps[s + 1];
    let t = re[a]; re[a] = re[b]; re[b] = t;
    t = im[a]; im[a] = im[b]; im[b] = t;
  }
  const end = offset + n;
  // Size 2: the twiddle is 1, a plain sum and difference.
  for (let a = offset; a < end; a += 2) {
    const b = a + 1;
    const xr = re[b], xi = im[b];
    re[b] = re[a] - xr; im[b] = im[a] - xi;
    re[a] += xr; im[a] += xi;
  }
  for (let size = 4; size <= n; size <<= 1) {
    const half = size >> 1, step = n / size;
    for (let start = offset; start < end; start += size) {
      for (let k = 0, t = 0; k < half; k++, t += step) {
        const wr = cos[t], wi = sin[t];
        const a = start + k, b = a + half;
        const br = re[b], bi = im[b];
        const xr = br * wr - bi * wi;
        const xi = br * wi + bi * wr;
        re[b] = re[a] - xr; im[b] = im[a] - xi;
        re[a] += xr; im[a] += xi;
      }
    }
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
  for (let ra = 0; ra < n * n; ra += 2 * n) {
    const d = n;
    for (let a = ra + x0, end = ra + x1; a < end; a++) {
      const b = a + d;
      const xr = re[b], xi = im[b];
      re[b] = re[a] - xr; im[b] = im[a] - xi;
      re[a] += xr; im[a] += xi;
    }
  }
  for (let size = 4; size <= n; size <<= 1) {
    const half = size >> 1, step = n / size, d = half * n;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step], wi = sin[k * step];
        const ra = (start + k) * n;
        for (let a = ra + x0, end = ra + x1; a < end; a++) {
          const b = a + d;
          const br = re[b], bi = im[b];
          const xr = br * wr - bi * wi;
          const xi = br * wi + bi * wr;
          re[b] = re[a] - xr; im[b] = im[a] - xi;
          re[a] += xr; im[a] += xi;
        }
      }
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
