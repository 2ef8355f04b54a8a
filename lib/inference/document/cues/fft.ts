/** Twiddle factors and bit-reversal table per size, built once. */
const plans = new Map<number, { cos: Float64Array; sin: Float64Array; rev: Uint32Array }>();

function planFor(n: number) {
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
function fft1d(re: Float64Array, im: Float64Array, n: number, offset: number, stride: number): void {
  const { cos, sin, rev } = planFor(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i];
    if (j > i) {
      const a = offset + i * stride, b = offset + j * stride;
      let t = re[a]; re[a] = re[b]; re[b] = t;
      t = im[a]; im[a] = im[b]; im[b] = t;
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
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
  for (let y = 0; y < n; y++) fft1d(re, im, n, y * n, 1);
  for (let x = 0; x < n; x++) fft1d(re, im, n, x, n);
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
