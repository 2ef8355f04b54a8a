interface Plan {
  cos: Float64Array;
  sin: Float64Array;
  rev: Uint32Array;
}

/** Twiddle factors and bit-reversal table per size, built once. */
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
    const rev = new Uint32Array(n);
    const bits = Math.log2(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      rev[i] = r;
    }
    plan = { cos, sin, rev };
    plans.set(n, plan);
  }
  return plan;
}

/** In-place iterative radix-2 FFT of `n` complex values at `offset`, `stride` apart. */
function fft1d(plan: Plan, re: Float64Array, im: Float64Array, n: number, offset: number, stride: number): void {
  const { cos, sin, rev } = plan;
  for (let i = 0; i < n; i++) {
    const j = rev[i];
    if (j > i) {
      const a = offset + i * stride, b = offset + j * stride;
      let t = re[a]; re[a] = re[b]; re[b] = t;
      t = im[a]; im[a] = im[b]; im[b] = t;
    }
  }
  // Size 2: the twiddle is 1, a plain sum and difference.
  for (let start = 0; start < n; start += 2) {
    const a = offset + start * stride, b = a + stride;
    const xr = re[b], xi = im[b];
    re[b] = re[a] - xr; im[b] = im[a] - xi;
    re[a] += xr; im[a] += xi;
  }
  for (let size = 4; size <= n; size <<= 1) {
    const half = size >> 1, step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step], wi = sin[k * step];
        const a = offset + (start + k) * stride, b = a + half * stride;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr; im[b] = im[a] - xi;
        re[a] += xr; im[a] += xi;
      }
    }
  }
}

/** In-place 2-D FFT of an n x n complex array (row-major). */
export function fft2d(re: Float64Array, im: Float64Array, n: number): void {
  const plan = planFor(n);
  for (let y = 0; y < n; y++) fft1d(plan, re, im, n, y * n, 1);
  for (let x = 0; x < n; x++) fft1d(plan, re, im, n, x, n);
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
    fft1d(plan, re, im, n, a, 1);
    // Z = A + iB with A, B real: A[k] = (Z[k] + conj Z[-k]) / 2, B[k] = (Z[k] - conj Z[-k]) / 2i.
    for (let k = 0; k <= n / 2; k++) {
      const j = (n - k) % n;
      const zr = re[a + k], zi = im[a + k], wr = re[a + j], wi = im[a + j];
      re[b + k] = (zi + wi) / 2; im[b + k] = (wr - zr) / 2;
      re[a + k] = (zr + wr) / 2; im[a + k] = (zi - wi) / 2;
    }
  }
  for (let x = 0; x <= n / 2; x++) fft1d(plan, re, im, n, x, n);
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
