/** The Korean administrative levels, as numbered throughout the project and named in the output. */
export const KOREAN_LEVEL_NAMES: Record<number, string> = {
  1: '시도',
  2: '시군구',
  3: '읍면동',
  4: '리',
};

export function defaultLevelName(level: number): string {
  return KOREAN_LEVEL_NAMES[level] ?? `level${level}`;
}
