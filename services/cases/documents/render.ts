/**
 * 文书排版 — lays a document's words (notice-texts.ts) out as an A4 PDF after the layout of Chinese
 * official documents (GB/T 9704—2012 党政机关公文格式: 版心 156 mm × 225 mm, 天头 37 mm, 订口 28 mm,
 * body in 三号 (16 pt), 22 lines a page, title in 二号 (22 pt)), with Noto Sans Hans (SIL OFL 1.1, from
 * the npm package @embedpdf/fonts-sc) embedded as a subset so a notice carries only the glyphs it uses.
 *
 * The subset is made by fontkit 2: the fontkit 1 fork pdf-lib was published with (@pdf-lib/fontkit
 * 1.1.1) writes a CID-keyed CFF subset whose header readers reject (poppler: "Embedded font file may
 * be invalid"), so every Chinese glyph rendered blank — see https://github.com/Hopding/pdf-lib/issues/1232.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { create as createFontkitFont, type Fontkit2Font } from 'fontkit';
import { PDFDocument, type PDFFont, type PDFPage, rgb } from 'pdf-lib';
import { type DocumentData, type DocumentKind, documentText } from './notice-texts';

type Fontkit = Parameters<PDFDocument['registerFontkit']>[0];

const MM = 72 / 25.4;
const A4: [number, number] = [210 * MM, 297 * MM];
// GB/T 9704—2012 §5.2.1: 天头 37 mm, 订口 28 mm, 版心 156 mm × 225 mm.
const LEFT = 28 * MM;
const TOP = 37 * MM;
const WIDTH = 156 * MM;
const BOTTOM = A4[1] - TOP - 225 * MM;
const TITLE_SIZE = 22;
const BODY_SIZE = 16;
/** 22 lines on a 225 mm page. */
const LINE = (225 * MM) / 22;
const SMALL_SIZE = 12;
const INK = rgb(0, 0, 0);

/** Characters that may not begin a line (标点禁则): they stay at the end of the previous one. */
const NO_LINE_START = new Set('，。、；：！？）》」』”’〕】…%,.;:!?)]');

/** Noto Sans Hans Regular: an 8 MB CFF OpenType font, read once per process. */
let fontBytes: Promise<Uint8Array> | undefined;

/** Where the font file is: KCBX_DOCUMENT_FONT (a bundle ships it beside the code), else the npm package. */
export function documentFontPath(): string {
  if (process.env.KCBX_DOCUMENT_FONT) return process.env.KCBX_DOCUMENT_FONT;
  const entry = createRequire(import.meta.url).resolve('@embedpdf/fonts-sc');
  return path.join(path.dirname(entry), '..', 'fonts', 'NotoSansHans-Regular.otf');
}

function loadFont(): Promise<Uint8Array> {
  fontBytes ??= readFile(documentFontPath()).then(
    (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
  );
  fontBytes.catch(() => {
    fontBytes = undefined;
  });
  return fontBytes;
}

/** Parsed fonts, per font file read: parsing the 8 MB font once saves most of a render. */
const parsed = new WeakMap<Uint8Array, Fontkit2Font>();

/**
 * fontkit 2 behind the interface pdf-lib 1.17 calls: a subset's `encodeStream()` (fontkit 1) becomes one
 * 'data' event with fontkit 2's `encode()` and an 'end'. Subsets are per document; the parsed font is shared.
 */
const fontkit: Fontkit = {
  create(bytes) {
    let font = parsed.get(bytes);
    if (font === undefined) {
      font = createFontkitFont(bytes);
      const createSubset = font.createSubset.bind(font);
      font.createSubset = () => {
        const subset = createSubset();
        return Object.assign(subset, {
          encodeStream() {
            const handlers: Partial<Record<'data' | 'end' | 'error', (arg?: unknown) => void>> = {};
            const stream = {
              on(event: 'data' | 'end' | 'error', callback: (arg?: unknown) => void) {
                handlers[event] = callback;
                return stream;
              },
            };
            // pdf-lib attaches its handlers right after the call: emit on the next microtask.
            queueMicrotask(() => {
              try {
                handlers.data?.(subset.encode());
                handlers.end?.();
              } catch (err) {
                handlers.error?.(err);
              }
            });
            return stream;
          },
        });
      };
      parsed.set(bytes, font);
    }
    return font as unknown as ReturnType<Fontkit['create']>;
  },
};

/** Greedy line breaking for Chinese: any character may end a line, except before closing punctuation. */
export function wrapText(text: string, width: number, measure: (s: string) => number, indent = 0): string[] {
  const lines: string[] = [];
  let line = '';
  let available = width - indent;
  for (const ch of text) {
    if (line !== '' && measure(line + ch) > available && !NO_LINE_START.has(ch)) {
      lines.push(line);
      line = '';
      available = width;
    }
    line += ch;
  }
  if (line !== '') lines.push(line);
  return lines;
}

interface Layout {
  doc: PDFDocument;
  font: PDFFont;
  page: PDFPage;
  /** Baseline of the next line. */
  y: number;
}

function newPage(layout: Layout): void {
  layout.page = layout.doc.addPage(A4);
  layout.y = A4[1] - TOP - BODY_SIZE;
}

function ensureRoom(layout: Layout, height: number): void {
  if (layout.y - height < BOTTOM) newPage(layout);
}

type Align = 'left' | 'center' | 'right';

function drawLines(
  layout: Layout,
  lines: readonly string[],
  size: number,
  opts: { align?: Align; indent?: number; x?: number; width?: number; lineHeight?: number } = {},
): void {
  const x0 = opts.x ?? LEFT;
  const width = opts.width ?? WIDTH;
  const lineHeight = opts.lineHeight ?? LINE;
  lines.forEach((line, i) => {
    ensureRoom(layout, 0);
    const w = layout.font.widthOfTextAtSize(line, size);
    const x =
      opts.align === 'center'
        ? x0 + (width - w) / 2
        : opts.align === 'right'
          ? x0 + width - w
          : x0 + (i === 0 ? (opts.indent ?? 0) : 0);
    layout.page.drawText(line, { x, y: layout.y, size, font: layout.font, color: INK });
    layout.y -= lineHeight;
  });
}

function paragraph(
  layout: Layout,
  text: string,
  size: number,
  opts: { align?: Align; indent?: number } = {},
) {
  const measure = (s: string) => layout.font.widthOfTextAtSize(s, size);
  drawLines(layout, wrapText(text, WIDTH, measure, opts.indent ?? 0), size, opts);
}

/** A two-column table (报告单): label and value, value wrapped, ruled like a paper form. */
function table(layout: Layout, rows: readonly [string, string][]): void {
  const labelWidth = 6 * SMALL_SIZE + 24;
  const valueWidth = WIDTH - labelWidth - 16;
  const rowLine = SMALL_SIZE * 1.8;
  const measure = (s: string) => layout.font.widthOfTextAtSize(s, SMALL_SIZE);
  for (const [label, value] of rows) {
    const lines = wrapText(value, valueWidth, measure);
    const height = lines.length * rowLine + 8;
    ensureRoom(layout, height);
    const top = layout.y + SMALL_SIZE + 4;
    const border = { borderColor: INK, borderWidth: 0.5 };
    layout.page.drawRectangle({ x: LEFT, y: top - height, width: labelWidth, height, ...border });
    layout.page.drawRectangle({
      x: LEFT + labelWidth,
      y: top - height,
      width: WIDTH - labelWidth,
      height,
      ...border,
    });
    layout.page.drawText(label, {
      x: LEFT + 8,
      y: layout.y,
      size: SMALL_SIZE,
      font: layout.font,
      color: INK,
    });
    lines.forEach((line, i) => {
      layout.page.drawText(line, {
        x: LEFT + labelWidth + 8,
        y: layout.y - i * rowLine,
        size: SMALL_SIZE,
        font: layout.font,
        color: INK,
      });
    });
    layout.y -= height;
  }
  layout.y -= LINE / 2;
}

/**
 * 生成文书 — the document of `kind` for `data` as PDF bytes (A4, the font subset embedded). Throws, naming
 * the field, when the data lacks what the kind needs.
 */
export async function renderNotice(kind: DocumentKind, data: DocumentData): Promise<Uint8Array> {
  const text = documentText(kind, data);
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(await loadFont(), { subset: true });
  // Dated by the document, not the clock: the same case data gives the same document.
  const issued = new Date(`${data.issuedOn}T00:00:00+08:00`);
  doc.setTitle(text.title);
  doc.setSubject(`${text.title} ${data.caseId}`);
  doc.setLanguage('zh-CN');
  doc.setCreator('kcbx 控辍保学');
  doc.setProducer('kcbx 控辍保学');
  doc.setCreationDate(issued);
  doc.setModificationDate(issued);

  const layout: Layout = { doc, font, page: doc.addPage(A4), y: 0 };
  layout.y = A4[1] - TOP - TITLE_SIZE;
  paragraph(layout, text.title, TITLE_SIZE, { align: 'center' });
  if (text.documentRef) paragraph(layout, text.documentRef, BODY_SIZE, { align: 'center' });
  layout.y -= LINE / 2;
  if (text.salutation) paragraph(layout, text.salutation, BODY_SIZE);
  for (const p of text.paragraphs) paragraph(layout, p, BODY_SIZE, { indent: 2 * BODY_SIZE });
  if (text.table) table(layout, text.table);
  layout.y -= LINE;
  ensureRoom(layout, 2 * LINE);
  paragraph(layout, `${text.issuer}（盖章）`, BODY_SIZE, { align: 'right' });
  paragraph(layout, text.date, BODY_SIZE, { align: 'right' });
  if (text.footnote) {
    layout.y -= LINE / 2;
    paragraph(layout, text.footnote, SMALL_SIZE);
  }

  const pages = doc.getPages();
  pages.forEach((page, i) => {
    const label = `第 ${i + 1} 页 共 ${pages.length} 页`;
    const w = font.widthOfTextAtSize(label, SMALL_SIZE - 2);
    page.drawText(label, { x: (A4[0] - w) / 2, y: BOTTOM / 2, size: SMALL_SIZE - 2, font, color: INK });
  });
  return doc.save();
}
