import { EMBEDDING_DIMENSIONS } from "@/db/vector";
import { Rng } from "@/lib/specimens/rng";

/**
 * Synthetic face embeddings for search benchmarks and tests: identities whose faces cluster
 * the way real embeddings of this model do.
 *
 * Each face is normalize(a·g + c + s·n): g a direction shared by all faces (real embeddings
 * are not centred), c the identity's centre, n the face's own variation (pose, light, age),
 * all Gaussian. Calibrated on faces-dev's pairs (`npm run vigil -- pairs`, bench/accuracy.ts):
 *  - impostors: mean 0.031, sd 0.099 over 262 pairs. A spread that wide means identities
 *    vary along few directions: centres drawn isotropically in 512 dimensions would give sd
 *    0.03. So centres live in a random IDENTITY_RANK-dimensional subspace, sized to give
 *    sd 0.1, and a² = 0.045 gives the mean;
 *  - genuine pairs: mean 0.79 over 38 pairs of good photos; s = 0.67 gives 0.70, lower on
 *    purpose (selfies against ID photos match less well than press photos).
 * search.test.ts checks these moments.
 */
export const SHARED_WEIGHT = Math.sqrt(0.045);
export const FACE_NOISE = 0.67;
export const IDENTITY_RANK = 48;

export interface SyntheticGallery {
  /** faces[i] belongs to identity `identityOf[i]`. */
  faces: Float32Array[];
  identityOf: Int32Array;
  /** Draws a new face of an identity: a probe the gallery has not seen. */
  probe(identity: number, rng: Rng): Float32Array;
  identities: number;
}

function gaussian(rng: Rng, scale: number): Float32Array {
  const v = new Float32Array(EMBEDDING_DIMENSIONS);
  const s = scale / Math.sqrt(EMBEDDING_DIMENSIONS);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal() * s;
  return v;
}

function unit(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const k = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i] *= k;
  return v;
}

/** An orthonormal basis (Gram-Schmidt) of `rank` dimensions: `first` directions, then random ones. */
function basisOf(rng: Rng, rank: number, first: Float32Array[]): Float32Array[] {
  const basis: Float32Array[] = [];
  const queue = first.map((d) => Float32Array.from(d));
  while (basis.length < rank) {
    const v = queue.shift() ?? gaussian(rng, 1);
    for (const b of basis) {
      let d = 0;
      for (let i = 0; i < v.length; i++) d += v[i] * b[i];
      for (let i = 0; i < v.length; i++) v[i] -= d * b[i];
    }
    basis.push(unit(v));
  }
  return basis;
}

/**
 * When real faces join the synthetic ones, give `real`: their mean becomes the direction all
 * faces lean towards, and the directions in which real people differ from that mean lead the
 * identity subspace (random directions fill it up). Both then come from one distribution;
 * otherwise the real faces would sit in directions no synthetic face shares, apart from
 * everything else in a graph index.
 */
export function syntheticGallery(input: { identities: number; facesPerIdentity: number; seed: number; real?: Array<{ person: number; embedding: Float32Array }> }): SyntheticGallery {
  const rng = new Rng(input.seed, "gallery");
  const random = unit(gaussian(rng, 1));
  const real = input.real ?? [];
  const mean = new Float32Array(EMBEDDING_DIMENSIONS);
  for (const r of real) for (let i = 0; i < mean.length; i++) mean[i] += r.embedding[i] / real.length;
  const shared = real.length > 0 ? unit(Float32Array.from(mean)) : random;
  const deviations = [...new Set(real.map((r) => r.person))].map((person) => {
    const faces = real.filter((r) => r.person === person);
    const d = new Float32Array(EMBEDDING_DIMENSIONS);
    for (const f of faces) for (let i = 0; i < d.length; i++) d[i] += f.embedding[i] / faces.length - mean[i] / faces.length;
    return d;
  });
  const basis = basisOf(rng, IDENTITY_RANK, deviations);
  const centre = () => {
    const c = new Float32Array(EMBEDDING_DIMENSIONS);
    for (const b of basis) {
      const z = rng.normal() / Math.sqrt(IDENTITY_RANK);
      for (let i = 0; i < c.length; i++) c[i] += z * b[i];
    }
    return c;
  };
  const centres = Array.from({ length: input.identities }, centre);
  const face = (identity: number, r: Rng) => {
    const v = gaussian(r, FACE_NOISE);
    const c = centres[identity];
    for (let i = 0; i < v.length; i++) v[i] += SHARED_WEIGHT * shared[i] + c[i];
    return unit(v);
  };
  const faces: Float32Array[] = [];
  const identityOf = new Int32Array(input.identities * input.facesPerIdentity);
  for (let id = 0; id < input.identities; id++) {
    for (let k = 0; k < input.facesPerIdentity; k++) {
      identityOf[faces.length] = id;
      faces.push(face(id, rng));
    }
  }
  return { faces, identityOf, probe: face, identities: input.identities };
}
