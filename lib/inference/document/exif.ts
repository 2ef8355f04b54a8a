/** What the EXIF block says about the camera, for the digital-original cue. */
export interface CameraMetadata {
  /** The file carries an EXIF block at all. */
  exif: boolean;
  make: string | null;
  model: string | null;
  /** Exposure time, f-number or ISO speed is recorded: written by a camera, not an editor. */
  exposure: boolean;
  software: string | null;
}

export const NO_CAMERA_METADATA: CameraMetadata = { exif: false, make: null, model: null, exposure: false, software: null };

/**
 * Reads the camera tags of an EXIF block (the TIFF structure sharp's `metadata().exif`
 * returns, with or without its "Exif\0\0" prefix): Make 0x010F, Model 0x0110, Software
 * 0x0131 in IFD0, and ExposureTime 0x829A, FNumber 0x829D, ISOSpeedRatings 0x8827 in the
 * Exif sub-IFD (pointer 0x8769). Malformed blocks read as "EXIF present, nothing known".
 */
export function readCameraMetadata(exif: Uint8Array | undefined): CameraMetadata {
  if (!exif || exif.length < 8) return NO_CAMERA_METADATA;
  let base = 0;
  if (exif[0] === 0x45 && exif[1] === 0x78 && exif[2] === 0x69 && exif[3] === 0x66) base = 6;
  const view = new DataView(exif.buffer, exif.byteOffset, exif.byteLength);
  const result: CameraMetadata = { exif: true, make: null, model: null, exposure: false, software: null };
  try {
    const order = view.getUint16(base);
    const little = order === 0x4949;
    if (!little && order !== 0x4d4d) return result;
    const u16 = (o: number) => view.getUint16(base + o, little);
    const u32 = (o: number) => view.getUint32(base + o, little);
    const ascii = (entry: number) => {
      const count = u32(entry + 4);
      const offset = count <= 4 ? entry + 8 : u32(entry + 8);
      let s = "";
      for (let i = 0; i < count && base + offset + i < exif.length; i++) {
        const c = exif[base + offset + i];
        if (c === 0) break;
        s += String.fromCharCode(c);
      }
      return s.trim() || null;
    };
    const readIfd = (offset: number, visit: (tag: number, entry: number) => void) => {
      if (offset <= 0 || base + offset + 2 > exif.length) return;
      const count = u16(offset);
      for (let i = 0; i < count && i < 512; i++) {
        const entry = offset + 2 + i * 12;
        if (base + entry + 12 > exif.length) return;
        visit(u16(entry), entry);
      }
    };
    let exifIfd = 0;
    readIfd(u32(4), (tag, entry) => {
      if (tag === 0x010f) result.make = ascii(entry);
      else if (tag === 0x0110) result.model = ascii(entry);
      else if (tag === 0x0131) result.software = ascii(entry);
      else if (tag === 0x8769) exifIfd = u32(entry + 8);
    });
    readIfd(exifIfd, (tag) => {
      if (tag === 0x829a || tag === 0x829d || tag === 0x8827) result.exposure = true;
    });
  } catch {
    // Truncated or inconsistent offsets: keep what was read.
  }
  return result;
}
