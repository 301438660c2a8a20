import { derivedImagePaths, FileStore } from '@fedchat/common';
import sharp, { Sharp } from 'sharp';

/** Mattermost's thumbnail box and preview width. */
const THUMBNAIL = { width: 120, height: 100 };
const PREVIEW_WIDTH = 1920;
/**
 * The decoder holds an image whole in memory, so thumbnails and previews are only made for image files up to this
 * size (and MaxImageResolution pixels); larger ones are kept and served, without a preview.
 */
export const MAX_PREVIEW_SOURCE_BYTES = 64 * 1024 * 1024;
/** Formats the decoder reads (others, such as BMP or PSD, get no preview, as in Mattermost). */
const PREVIEWABLE = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/tiff']);

export interface DerivedImages {
  width: number;
  height: number;
  has_preview_image: boolean;
  thumbnail_path: string;
  preview_path: string;
  mini_preview: Buffer | null;
}

const NONE: DerivedImages = { width: 0, height: 0, has_preview_image: false, thumbnail_path: '', preview_path: '', mini_preview: null };

/**
 * Thumbnail (`_thumb.jpg`), preview (`_preview.jpg`) and Mattermost's 16×16 mini preview of a stored image, read as a
 * stream from the store. An image that does not decode, or is too large, gets none (the file itself is fine).
 */
export async function makeDerivedImages(
  store: FileStore,
  path: string,
  mimeType: string,
  size: number,
  maxPixels: number,
): Promise<DerivedImages> {
  if (!PREVIEWABLE.has(mimeType) || size > MAX_PREVIEW_SOURCE_BYTES) return NONE;
  const input = sharp({ limitInputPixels: maxPixels, failOn: 'error' });
  const source = await store.readStream(path);
  source.on('error', (err) => input.destroy(err));
  source.pipe(input);
  const meta = await input.metadata();
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  if (!(width > 0 && height > 0) || width * height > maxPixels) return { ...NONE, width, height };
  const paths = derivedImagePaths(path);
  const jpeg = (img: Sharp) => img.flatten({ background: '#ffffff' }).jpeg({ quality: 90 });
  try {
    await store.writeStream(
      paths.thumbnail,
      jpeg(
        input
          .clone()
          .rotate()
          .resize({ ...THUMBNAIL, fit: 'inside', withoutEnlargement: true }),
      ),
      { maxBytes: MAX_PREVIEW_SOURCE_BYTES },
    );
    await store.writeStream(paths.preview, jpeg(input.clone().rotate().resize({ width: PREVIEW_WIDTH, withoutEnlargement: true })), {
      maxBytes: MAX_PREVIEW_SOURCE_BYTES,
    });
    const mini = await input.clone().rotate().resize(16, 16, { fit: 'cover' }).jpeg({ quality: 30 }).toBuffer();
    return { width, height, has_preview_image: true, thumbnail_path: paths.thumbnail, preview_path: paths.preview, mini_preview: mini };
  } catch (err) {
    await store.remove(paths.thumbnail).catch(() => undefined);
    await store.remove(paths.preview).catch(() => undefined);
    throw err;
  }
}

export class ImageDecodeError extends Error {}

/** Mattermost stores every profile picture as a 128×128 PNG, centre-cropped (`AdjustImage`). */
export const PROFILE_IMAGE_SIZE = 128;

export class ImageTooLargeError extends Error {
  constructor(
    readonly width: number,
    readonly height: number,
    readonly maxPixels: number,
  ) {
    super(`${width}x${height} is more than ${maxPixels} pixels`);
  }
}

/**
 * Decodes an uploaded picture and re-encodes it as Mattermost stores it, so what is kept and served is small whatever
 * was sent. The declared size is checked before decoding (a few bytes of PNG may declare 100000×100000), and the
 * decoder itself is bounded by the same pixel limit. The result is stable: encoding its own output again gives the
 * same bytes, so a picture relayed between clusters arrives identical.
 */
export async function encodeProfileImage(input: Buffer, maxPixels: number): Promise<Buffer> {
  // The header alone, unbounded, to tell an image over the limit from one that does not decode.
  const meta = await sharp(input, { limitInputPixels: false, failOn: 'error' })
    .metadata()
    .catch((err: Error) => {
      throw new ImageDecodeError(err.message);
    });
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (!(width > 0 && height > 0)) throw new ImageDecodeError('the image has no size');
  if (width * height > maxPixels) throw new ImageTooLargeError(width, height, maxPixels);
  return sharp(input, { limitInputPixels: maxPixels, failOn: 'error' })
    .rotate()
    .resize(PROFILE_IMAGE_SIZE, PROFILE_IMAGE_SIZE, { fit: 'cover', position: 'centre' })
    .png()
    .toBuffer()
    .catch((err: Error) => {
      throw new ImageDecodeError(err.message);
    });
}
