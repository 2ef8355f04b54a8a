import "server-only";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import type { ParsedBody } from "@/lib/http/body";
import { parseInput } from "@/lib/http/native";
import type { ImageInput } from "@/lib/inference";

const image = z.string().min(1, "must not be empty").describe("A JPEG, PNG or WebP image as base64 or a data: URL.");

/** The JSON body of a stateless face endpoint: one required image field per name. */
export function faceImagesSchema<N extends string>(names: readonly N[]) {
  return z.object(Object.fromEntries(names.map((n) => [n, image])) as Record<N, typeof image>);
}

/**
 * Reads the named images of a stateless face endpoint from JSON (base64 or data URLs) or
 * multipart files of the same names. Every name is required.
 */
export function parseImages<N extends string>(body: ParsedBody, names: readonly N[]): Record<N, ImageInput> {
  if (body.kind === "json") {
    return parseInput(faceImagesSchema(names), body.value) as Record<N, ImageInput>;
  }
  const out = {} as Record<N, ImageInput>;
  for (const name of names) {
    const value = body.files[name]?.[0] ?? body.fields[name];
    if (!value) throw new AppError("INVALID_REQUEST", `${name}: an image is required`, { field: name });
    out[name] = value;
  }
  return out;
}
