import { z } from 'zod';
import { OUTPUT_FORMATS, type StoredConversionOptions } from '../entities/Conversion';
import { UserInputError } from '../errors';
import { OUTPUT_LANGUAGES } from './output-words';

/** What a client may pass as ConversionOptions, checked before anything is stored. */
const OptionsSchema = z
  .object({
    xColumn: z.string().trim().min(1).max(200).optional(),
    yColumn: z.string().trim().min(1).max(200).optional(),
    srid: z.number().int().positive().max(999_999).optional(),
    sheets: z.array(z.string().min(1).max(200)).max(200).optional(),
    outputFormat: z.enum(OUTPUT_FORMATS).default('XLSX'),
    outputLanguage: z.enum(OUTPUT_LANGUAGES).optional(),
    boundarySet: z.string().trim().min(1).max(200).optional(),
    boundarySets: z.array(z.string().trim().min(1).max(200)).min(1).max(5).optional(),
    asOf: z
      .union([z.date(), z.string()])
      .transform((v, ctx) => {
        const day = typeof v === 'string' ? v.trim() : Number.isNaN(v.getTime()) ? '' : v.toISOString().slice(0, 10);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(day.slice(0, 10))) {
          ctx.addIssue({ code: 'custom', message: 'a day as YYYY-MM-DD' });
          return z.NEVER;
        }
        return day.slice(0, 10);
      })
      .optional(),
    dateColumn: z.string().trim().min(1).max(200).optional(),
    maxDistanceMeters: z.number().min(0).max(100_000).optional(),
  })
  .refine((o) => Boolean(o.xColumn) === Boolean(o.yColumn), { message: 'give both xColumn and yColumn, or neither' })
  .refine((o) => !(o.boundarySet && o.boundarySets), { message: 'give boundarySet or boundarySets, not both' })
  .refine((o) => !o.boundarySets || new Set(o.boundarySets).size === o.boundarySets.length, { message: 'boundarySets names a set twice' });

/** Null fields (GraphQL clients send them) mean "not given". */
export function parseConversionOptions(input: Record<string, unknown> | null | undefined): StoredConversionOptions {
  const cleaned = Object.fromEntries(Object.entries(input ?? {}).filter(([, v]) => v !== null && v !== undefined));
  const parsed = OptionsSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
    throw new UserInputError(`Invalid options: ${problems}`);
  }
  return parsed.data;
}
