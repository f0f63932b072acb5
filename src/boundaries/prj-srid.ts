/**
 * Turns the WKT of a shapefile's `.prj` into an EPSG code that PostGIS can reproject from.
 *
 * A `.prj` rarely carries an EPSG code: the official TL_SCCO downloads are ESRI WKT
 * (`Korea_2000_Korea_Unified_Coordinate_System`, no AUTHORITY), and other tools spell the same
 * system differently. So the code is found, in order, from an explicit AUTHORITY/ID, from the
 * projection's parameters (datum, central meridian, false easting/northing, …), which do not depend
 * on how a tool names things, and last from the name alone. Only the systems Korean boundary data
 * comes in are known; anything else is an error that asks for `--srid`.
 */

type DatumFamily = 'korea2000' | 'korean1985' | 'wgs84';

interface KnownProjected {
  srid: number;
  name: string;
  datum: DatumFamily;
  lat0: number;
  lon0: number;
  k: number;
  x0: number;
  y0: number;
}

const MODIFIED = 0.0028902777778; // Korean 1985 "modified" belts: the Tokyo datum's 10.405" offset.

/** Transverse Mercator systems used for Korean data (parameters as in PostGIS's spatial_ref_sys). */
const PROJECTED: KnownProjected[] = [
  { srid: 5179, name: 'Korea 2000 / Unified CS', datum: 'korea2000', lat0: 38, lon0: 127.5, k: 0.9996, x0: 1_000_000, y0: 2_000_000 },
  { srid: 5180, name: 'Korea 2000 / West Belt', datum: 'korea2000', lat0: 38, lon0: 125, k: 1, x0: 200_000, y0: 500_000 },
  { srid: 5181, name: 'Korea 2000 / Central Belt', datum: 'korea2000', lat0: 38, lon0: 127, k: 1, x0: 200_000, y0: 500_000 },
  { srid: 5182, name: 'Korea 2000 / Central Belt Jeju', datum: 'korea2000', lat0: 38, lon0: 127, k: 1, x0: 200_000, y0: 550_000 },
  { srid: 5183, name: 'Korea 2000 / East Belt', datum: 'korea2000', lat0: 38, lon0: 129, k: 1, x0: 200_000, y0: 500_000 },
  { srid: 5184, name: 'Korea 2000 / East Sea Belt', datum: 'korea2000', lat0: 38, lon0: 131, k: 1, x0: 200_000, y0: 500_000 },
  { srid: 5185, name: 'Korea 2000 / West Belt 2010', datum: 'korea2000', lat0: 38, lon0: 125, k: 1, x0: 200_000, y0: 600_000 },
  { srid: 5186, name: 'Korea 2000 / Central Belt 2010', datum: 'korea2000', lat0: 38, lon0: 127, k: 1, x0: 200_000, y0: 600_000 },
  { srid: 5187, name: 'Korea 2000 / East Belt 2010', datum: 'korea2000', lat0: 38, lon0: 129, k: 1, x0: 200_000, y0: 600_000 },
  { srid: 5188, name: 'Korea 2000 / East Sea Belt 2010', datum: 'korea2000', lat0: 38, lon0: 131, k: 1, x0: 200_000, y0: 600_000 },
  { srid: 2096, name: 'Korean 1985 / East Belt', datum: 'korean1985', lat0: 38, lon0: 129, k: 1, x0: 200_000, y0: 500_000 },
  { srid: 2097, name: 'Korean 1985 / Central Belt', datum: 'korean1985', lat0: 38, lon0: 127, k: 1, x0: 200_000, y0: 500_000 },
  { srid: 2098, name: 'Korean 1985 / West Belt', datum: 'korean1985', lat0: 38, lon0: 125, k: 1, x0: 200_000, y0: 500_000 },
  { srid: 5173, name: 'Korean 1985 / Modified West Belt', datum: 'korean1985', lat0: 38, lon0: 125 + MODIFIED, k: 1, x0: 200_000, y0: 500_000 },
  { srid: 5174, name: 'Korean 1985 / Modified Central Belt', datum: 'korean1985', lat0: 38, lon0: 127 + MODIFIED, k: 1, x0: 200_000, y0: 500_000 },
  { srid: 5175, name: 'Korean 1985 / Modified Central Belt Jeju', datum: 'korean1985', lat0: 38, lon0: 127 + MODIFIED, k: 1, x0: 200_000, y0: 550_000 },
  { srid: 5176, name: 'Korean 1985 / Modified East Belt', datum: 'korean1985', lat0: 38, lon0: 129 + MODIFIED, k: 1, x0: 200_000, y0: 500_000 },
  { srid: 5177, name: 'Korean 1985 / Modified East Sea Belt', datum: 'korean1985', lat0: 38, lon0: 131 + MODIFIED, k: 1, x0: 200_000, y0: 500_000 },
  { srid: 5178, name: 'Korean 1985 / Unified CS', datum: 'korean1985', lat0: 38, lon0: 127.5, k: 0.9996, x0: 1_000_000, y0: 2_000_000 },
];

const GEOGRAPHIC: Record<DatumFamily, { srid: number; name: string }> = {
  wgs84: { srid: 4326, name: 'WGS 84' },
  korea2000: { srid: 4737, name: 'Korea 2000' },
  korean1985: { srid: 4162, name: 'Korean 1985' },
};

/** Other spellings of the names above (ESRI, GDAL, older EPSG names), compared without case or punctuation. */
const NAME_ALIASES: Record<string, number> = {
  korea2000koreaunifiedcoordinatesystem: 5179,
  korea2000unifiedcs: 5179,
  korea2000koreacentralbelt2010: 5186,
  korea2000koreacentralbelt: 5181,
  korean1985koreacentralbelt: 2097,
  korean1985modifiedkoreacentralbelt: 5174,
  gcswgs1984: 4326,
  wgs1984: 4326,
  gcskorea2000: 4737,
  gcskorean1985: 4162,
};

export interface CrsMatch {
  srid: number;
  /** What the match was based on, for the import report. */
  via: 'authority' | 'parameters' | 'name';
  name: string;
}

/** A WKT node: `KEYWORD[arg, arg, …]`, where an arg is a quoted string, a number or another node. */
interface WktNode {
  keyword: string;
  args: (string | number | WktNode)[];
}

/**
 * The EPSG code a `.prj` describes, or null when it is none of the systems above.
 * Throws when the text is not WKT at all.
 */
export function sridFromPrj(wkt: string): CrsMatch | null {
  const root = parseWkt(wkt);
  const authority = authorityCode(root);
  if (authority !== null) return { srid: authority, via: 'authority', name: nodeName(root) };

  const byParameters = matchParameters(root);
  if (byParameters) return byParameters;

  const alias = NAME_ALIASES[normalise(nodeName(root))];
  const byName =
    alias ??
    PROJECTED.find((p) => normalise(p.name) === normalise(nodeName(root)))?.srid ??
    Object.values(GEOGRAPHIC).find((g) => normalise(g.name) === normalise(nodeName(root)))?.srid;
  return byName === undefined ? null : { srid: byName, via: 'name', name: nodeName(root) };
}

function matchParameters(root: WktNode): CrsMatch | null {
  const keyword = root.keyword.toUpperCase();
  const geog = keyword === 'PROJCS' || keyword === 'PROJCRS' ? child(root, ['GEOGCS', 'BASEGEOGCRS', 'BASEGEODCRS']) : root;
  const datum = geog ? datumFamily(geog) : null;
  if (!datum) return null;
  if (keyword === 'GEOGCS' || keyword === 'GEOGCRS' || keyword === 'GEODCRS') {
    const g = GEOGRAPHIC[datum];
    return { srid: g.srid, via: 'parameters', name: g.name };
  }
  const projection = child(root, ['PROJECTION', 'METHOD']) ?? child(child(root, ['CONVERSION']), ['METHOD']);
  if (!projection || !/transverse.?mercator/i.test(nodeName(projection))) return null;
  const params = parameters(root);
  const found = PROJECTED.find(
    (p) =>
      p.datum === datum &&
      near(params.latitude_of_origin ?? params.latitude_of_natural_origin ?? 0, p.lat0, 1e-7) &&
      near(params.central_meridian ?? params.longitude_of_natural_origin ?? NaN, p.lon0, 1e-7) &&
      near(params.scale_factor ?? params.scale_factor_at_natural_origin ?? 1, p.k, 1e-9) &&
      near(params.false_easting ?? 0, p.x0, 1e-3) &&
      near(params.false_northing ?? 0, p.y0, 1e-3),
  );
  return found ? { srid: found.srid, via: 'parameters', name: found.name } : null;
}

function datumFamily(geog: WktNode): DatumFamily | null {
  const datum = child(geog, ['DATUM']);
  const name = normalise(datum ? nodeName(datum) : nodeName(geog));
  if (/korea2000|geocentricdatumofkorea/.test(name)) return 'korea2000';
  if (/korean1985|koreandatum1985/.test(name)) return 'korean1985';
  if (/wgs1984|wgs84|worldgeodeticsystem1984/.test(name)) return 'wgs84';
  // Unnamed datums: the ellipsoid tells the Korean ones apart (GRS 1980 for Korea 2000, Bessel for 1985).
  const spheroid = datum && child(datum, ['SPHEROID', 'ELLIPSOID']);
  const ellipsoid = spheroid ? normalise(nodeName(spheroid)) : '';
  if (ellipsoid.startsWith('bessel')) return 'korean1985';
  // GRS 1980 with no datum name: among the systems known here that can only be Korea 2000.
  if (ellipsoid.startsWith('grs1980') || ellipsoid.startsWith('grs80')) return 'korea2000';
  return null;
}

function parameters(root: WktNode): Record<string, number> {
  const out: Record<string, number> = {};
  const nodes = [...root.args, ...(child(root, ['CONVERSION'])?.args ?? [])];
  for (const arg of nodes) {
    if (typeof arg === 'object' && arg.keyword.toUpperCase() === 'PARAMETER' && typeof arg.args[1] === 'number') {
      out[String(arg.args[0]).toLowerCase().replace(/[^a-z0-9]+/g, '_')] = arg.args[1];
    }
  }
  return out;
}

function authorityCode(root: WktNode): number | null {
  const node = child(root, ['AUTHORITY', 'ID']);
  if (!node || String(node.args[0]).toUpperCase() !== 'EPSG') return null;
  const code = Number(node.args[1]);
  return Number.isInteger(code) && code > 0 ? code : null;
}

function child(node: WktNode | null | undefined, keywords: string[]): WktNode | null {
  if (!node) return null;
  for (const arg of node.args) if (typeof arg === 'object' && keywords.includes(arg.keyword.toUpperCase())) return arg;
  return null;
}

function nodeName(node: WktNode): string {
  return typeof node.args[0] === 'string' ? node.args[0] : '';
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function near(a: number, b: number, tolerance: number): boolean {
  return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b));
}

/** A small recursive-descent parser; WKT has only brackets (or parentheses), quoted strings, numbers and keywords. */
function parseWkt(text: string): WktNode {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`Not a WKT coordinate system (${what} at character ${i + 1}): ${text.slice(0, 80)}`);
  };
  const skipSpace = () => {
    while (i < text.length && /[\s,]/.test(text[i])) i++;
  };
  const node = (): WktNode => {
    skipSpace();
    const start = i;
    while (i < text.length && /[A-Za-z0-9_]/.test(text[i])) i++;
    const keyword = text.slice(start, i);
    if (!keyword) fail('expected a keyword');
    skipSpace();
    if (text[i] !== '[' && text[i] !== '(') return { keyword, args: [] }; // bare enum value, e.g. AXIS["x",EAST]
    const close = text[i] === '[' ? ']' : ')';
    i++;
    const args: WktNode['args'] = [];
    for (;;) {
      skipSpace();
      if (i >= text.length) fail('unclosed bracket');
      const c = text[i];
      if (c === close) {
        i++;
        return { keyword, args };
      }
      if (c === '"') {
        const end = text.indexOf('"', i + 1);
        if (end < 0) fail('unclosed string');
        args.push(text.slice(i + 1, end));
        i = end + 1;
      } else if (/[-+.\d]/.test(c)) {
        const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(i));
        if (!m) fail('bad number');
        args.push(Number(m![0]));
        i += m![0].length;
      } else {
        args.push(node());
      }
    }
  };
  const root = node();
  skipSpace();
  if (i < text.length) fail('trailing text');
  return root;
}
