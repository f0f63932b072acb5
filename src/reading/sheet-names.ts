/** Excel's rules for a sheet name: at most 31 characters, none of []:*?/\, no ' at either end, not "History", unique ignoring case. */
const MAX_LENGTH = 31;
const FORBIDDEN = /[[\]:*?/\\]/g;

export interface SheetRename {
  from: string;
  to: string;
}

/**
 * Names Excel accepts, one per sheet, in order: a name that is invalid or repeats an earlier one
 * (other writers allow both) is changed, and the change is reported so the user gets a note.
 */
export function excelSheetNames(names: readonly string[]): { names: string[]; renamed: SheetRename[] } {
  const taken = new Set<string>();
  const out: string[] = [];
  const renamed: SheetRename[] = [];
  names.forEach((original, i) => {
    let base = original.replace(FORBIDDEN, '_').replace(/^'+|'+$/g, '').trim();
    if (!base || base.toLowerCase() === 'history') base = base ? `${base}_` : `Sheet${i + 1}`;
    base = [...base].slice(0, MAX_LENGTH).join('');
    let name = base;
    for (let n = 2; taken.has(name.toLowerCase()); n++) {
      const suffix = ` (${n})`;
      name = [...base].slice(0, MAX_LENGTH - suffix.length).join('') + suffix;
    }
    taken.add(name.toLowerCase());
    out.push(name);
    if (name !== original) renamed.push({ from: original, to: name });
  });
  return { names: out, renamed };
}
