/** The part of pngjs (which ships no types) that sepconv and its tests use: synchronous decoding and encoding. */
declare module 'pngjs' {
  export interface PngImage {
    width: number;
    height: number;
    /** RGBA, 8 bits per channel, row-major. */
    data: Buffer;
  }
  export const PNG: {
    sync: {
      read(buffer: Buffer): PngImage;
      write(png: PngImage, options?: { colorType?: number; inputHasAlpha?: boolean; bitDepth?: number }): Buffer;
    };
  };
}
