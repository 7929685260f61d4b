/**
 * The part of fontkit 2 that render.ts uses (the package ships no types). fontkit 2 encodes a subset
 * with `encode()`; pdf-lib 1.17 still calls the `encodeStream()` of fontkit 1, which render.ts adapts.
 */
declare module 'fontkit' {
  export interface Fontkit2Subset {
    includeGlyph(glyph: unknown): number;
    encode(): Uint8Array;
  }
  export interface Fontkit2Font {
    createSubset(): Fontkit2Subset;
  }
  export function create(buffer: Uint8Array, postscriptName?: string): Fontkit2Font;
}
