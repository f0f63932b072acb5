/** Nested lon/lat squares around (127.0, 37.0) with custom property names: [code, name, inset]. */
export function squares(items: [string, string, number][]) {
  return {
    type: 'FeatureCollection' as const,
    features: items.map(([code, name, inset]) => {
      const a = 127 + inset, b = 37 + inset, c = 127.1 - inset, d = 37.1 - inset;
      return {
        type: 'Feature' as const,
        properties: { adm_cd: code, adm_nm: name },
        geometry: { type: 'Polygon' as const, coordinates: [[[a, b], [c, b], [c, d], [a, d], [a, b]]] },
      };
    }),
  };
}
