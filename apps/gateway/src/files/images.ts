import { derivedImagePaths, FileStore } from '@fedchat/common';
import sharp, { Sharp } from 'sharp';
import { Transform, TransformCallback } from 'node:stream';

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

/**
 * Passes an image through while the decoder reads along; at the end the whole image must decode (within
 * `maxPixels`), else the stream fails, so a store write of it leaves nothing behind.
 */
export class DecodeCheck extends Transform {
  private readonly image: Sharp;

  constructor(maxPixels: number) {
    super();
    this.image = sharp({ limitInputPixels: maxPixels, failOn: 'error' });
    this.image.on('error', () => undefined); // reported by the decode in _flush
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.image.write(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.image.end();
    this.image
      .resize(1, 1)
      .raw()
      .toBuffer()
      .then(
        () => callback(),
        (err: Error) => callback(new ImageDecodeError(err.message)),
      );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.image.destroy();
    callback(err);
  }
}

export class ImageDecodeError extends Error {}
