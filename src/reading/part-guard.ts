import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { READ_LIMITS } from './read-limits';

/** Why a guarded part was refused; the reader turns it into a coded error that says where. */
export class PartRefused extends Error {
  constructor(
    readonly reason: 'partBytes' | 'xmlRun' | 'sharedStrings' | 'dtd',
    readonly limit: number,
  ) {
    super(`part refused: ${reason}`);
    this.name = 'PartRefused';
  }
}

const LT = 0x3c;
const DECL = Buffer.from('<!');
const SI = Buffer.from('<si');

/**
 * The inflated bytes of one zip part on their way to the XML parser, checked as they pass: at
 * most `maxBytes` in all, no stretch of text (or tag) longer than READ_LIMITS.xmlRunBytes without
 * a '<' (a one-gigabyte cell would otherwise be collected whole by the parser), no DTD or entity
 * declaration (XML bombs, external entities), and, for the shared-strings part, at most
 * READ_LIMITS.sharedStrings entries. Only byte searches (memchr-speed), no parsing.
 */
class PartGuard extends Transform {
  private bytes = 0;
  private sinceTag = 0;
  private strings = 0;
  private tail = Buffer.alloc(0);

  constructor(
    private readonly maxBytes: number,
    private readonly countStrings: boolean,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return done(new PartRefused('partBytes', this.maxBytes));
    const first = chunk.indexOf(LT);
    if (first < 0) {
      this.sinceTag += chunk.length;
    } else {
      if (this.sinceTag + first > READ_LIMITS.xmlRunBytes) return done(new PartRefused('xmlRun', READ_LIMITS.xmlRunBytes));
      if (chunk.length > READ_LIMITS.xmlRunBytes) {
        for (let at = first, next; at >= 0; at = next) {
          next = chunk.indexOf(LT, at + 1);
          if ((next < 0 ? chunk.length : next) - at > READ_LIMITS.xmlRunBytes) return done(new PartRefused('xmlRun', READ_LIMITS.xmlRunBytes));
        }
      }
      this.sinceTag = chunk.length - chunk.lastIndexOf(LT) - 1;
    }
    if (this.sinceTag > READ_LIMITS.xmlRunBytes) return done(new PartRefused('xmlRun', READ_LIMITS.xmlRunBytes));
    // Declarations across a chunk boundary are found in the tail plus the chunk's first bytes.
    const edge = this.tail.length ? Buffer.concat([this.tail, chunk.subarray(0, 16)]) : null;
    if (hasDeclaration(chunk) || (edge && hasDeclaration(edge))) return done(new PartRefused('dtd', 0));
    if (this.countStrings) {
      for (let at = chunk.indexOf(SI); at >= 0; at = chunk.indexOf(SI, at + 3)) {
        const after = chunk[at + 3];
        if (after === 0x3e || after === 0x20 || after === undefined) this.strings++;
      }
      if (this.strings > READ_LIMITS.sharedStrings) return done(new PartRefused('sharedStrings', READ_LIMITS.sharedStrings));
    }
    this.tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - 16)));
    done(null, chunk);
  }
}

/** `<!` other than a comment or CDATA: a DOCTYPE, ENTITY, ELEMENT or ATTLIST declaration. */
function hasDeclaration(b: Buffer): boolean {
  for (let at = b.indexOf(DECL); at >= 0; at = b.indexOf(DECL, at + 2)) {
    const c = b[at + 2];
    if (c !== 0x2d /* - */ && c !== 0x5b /* [ */ && c !== undefined) return true;
  }
  return false;
}

/**
 * The part's stream, guarded. Errors of the source (a damaged deflate stream, a cut-off file)
 * come out of the returned stream, and destroying it closes the source.
 */
export function guardPart(source: Readable, options: { maxBytes: number; sharedStrings?: boolean }): Readable {
  const guard = new PartGuard(options.maxBytes, options.sharedStrings ?? false);
  pipeline(source, guard, () => {});
  return guard;
}
