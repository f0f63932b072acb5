// The page of one conversion (/conversions/:id): live progress per phase, then the download, a
// map of the service's own boundary tiles shaded by matched rows, and the tables.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';

const id = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');
const FIELDS = `id fileName status phase totalRows readRows processedRows writtenRows matchedRows nearestRows unmatchedRows invalidRows
  progress error errorCode downloadUrl boundarySet notes outputFormat`;
/** Problem rows drawn on the map and listed per page. */
const MAP_POINTS = 5000;
const PAGE = 500;

// Rows per second per phase, from the updates of the last few seconds.
const samples = [];
function rate(key) {
  const now = samples[samples.length - 1];
  if (!now) return 0;
  const old = samples.find((s) => now.t - s.t <= 5000 && now[key] > s[key]) || samples[0];
  const dt = (now.t - old.t) / 1000;
  return dt > 0.2 ? (now[key] - old[key]) / dt : 0;
}

function showPhase(bar, info, done, total, key, active) {
  const share = total ? Math.min(1, done / total) : 0;
  $(bar).style.width = `${Math.round(share * 1000) / 10}%`;
  if (!total) { $(info).textContent = ''; return; }
  const perSecond = rate(key);
  const parts = [`${num(done)} / ${num(total)} 행`];
  if (active && perSecond > 0 && done < total) {
    parts.push(`초당 ${num(Math.round(perSecond))}행`);
    parts.push(`남은 시간 약 ${duration((total - done) / perSecond)}`);
  }
  $(info).textContent = parts.join(' · ');
}

let finished = false;
function show(c) {
  document.title = `${c.fileName} · ${STATUS_KO[c.status] || c.status} · coord2region`;
  $('fileName').textContent = c.fileName;
  $('status').textContent = STATUS_KO[c.status] || c.status;
  $('status').className = `status ${c.status}`;
  $('phase').textContent = c.status === 'RUNNING' || c.status === 'QUEUED' ? `· ${PHASE_KO[c.phase] || c.phase}` : '';
  const total = c.totalRows || 0;
  const done = c.status === 'COMPLETED';
  const read = done ? total : c.readRows;
  const written = done ? total : c.writtenRows;
  samples.push({ t: Date.now(), read, processed: c.processedRows, written });
  while (samples.length > 60) samples.shift();
  const running = c.status === 'RUNNING';
  showPhase('barRead', 'infoRead', read, total, 'read', running);
  showPhase('barGeocode', 'infoGeocode', done ? total : c.processedRows, total, 'processed', running);
  showPhase('barWrite', 'infoWrite', written, total, 'written', running);
  if (c.phase === 'ANALYZING') $('infoRead').textContent = '파일을 살펴보는 중…';
  if (c.phase === 'FINISHING') $('infoWrite').textContent = '파일을 마무리하는 중…';
  $('counts').innerHTML = total || c.processedRows
    ? [
        ['주소 찾음', c.matchedRows],
        ['그중 근접', c.nearestRows],
        ['해당없음', c.unmatchedRows],
        ['좌표오류', c.invalidRows],
      ].map(([label, n]) => `<span>${label} <b>${num(n)}</b></span>`).join('')
    : '';
  $('error').textContent = c.status === 'FAILED' ? koreanError(c.error, c.errorCode) : c.status === 'CANCELLED' ? '변환을 취소했습니다.' : '';
  $('download').innerHTML = c.downloadUrl ? `<a class="download" href="${escapeHtml(c.downloadUrl)}">결과 내려받기 (${escapeHtml(c.outputFormat)})</a>` : '';
  // Notes starting with ⚠ (boundaries older than the rows' dates) are warnings.
  $('notes').innerHTML = (c.notes || []).map((n) => (n.startsWith('⚠') ? `<li class="warning"><strong>${escapeHtml(n)}</strong></li>` : `<li>${escapeHtml(n)}</li>`)).join('');
  if (done && !finished) {
    finished = true;
    showResults(c).catch((err) => { $('sidoNote').innerHTML = `<span class="error">${escapeHtml(errorText(err))}</span>`; });
  }
}

async function showResults(c) {
  const data = await gql(`query ($id: ID!, $first: Int) { conversion(id: $id) {
      sido: regionCounts(level: 1) { code name rows boundarySet } sigungu: regionCounts(level: 2) { code name rows boundarySet }
      problemRows(first: $first) { sheet rowNumber result x y lon lat reason } } }`, { id, first: MAP_POINTS });
  const { sido, sigungu, problemRows } = data.conversion;
  const matched = sido.reduce((n, r) => n + r.rows, 0);
  $('sido').tBodies[0].innerHTML = sido.map((r) =>
    `<tr><td>${escapeHtml(r.name)}</td><td class="n">${num(r.rows)}</td><td class="n">${matched ? (100 * r.rows / matched).toFixed(1) : '0'}%</td></tr>`).join('');
  $('sidoNote').textContent = sido.length ? `주소를 찾은 ${num(matched)}행` : '주소를 찾은 행이 없습니다.';
  $('sigungu').tBodies[0].innerHTML = sigungu.map((r) => `<tr><td>${escapeHtml(r.name)}</td><td class="n">${num(r.rows)}</td></tr>`).join('');
  listProblems(problemRows.slice(0, PAGE), problemRows.length);
  drawMap(c, sido, sigungu, problemRows);
}

let listed = 0;
function listProblems(rows, available) {
  $('problems').tBodies[0].insertAdjacentHTML('beforeend', rows.map((r) => `<tr>
    <td class="n">${r.rowNumber}</td><td>${escapeHtml(r.sheet)}</td><td class="r-${r.result}">${RESULT_KO[r.result]}</td>
    <td class="n">${r.x ?? ''}</td><td class="n">${r.y ?? ''}</td><td>${escapeHtml(r.reason ?? '')}</td></tr>`).join(''));
  listed += rows.length;
  $('more').hidden = available <= listed && rows.length < PAGE;
  if (listed === 0) $('problems').tBodies[0].innerHTML = '<tr><td colspan="6" class="muted">모든 행의 주소를 경계 안에서 찾았습니다.</td></tr>';
}
$('more').onclick = async () => {
  try {
    const data = await gql('query ($id: ID!, $first: Int, $offset: Int) { conversion(id: $id) { problemRows(first: $first, offset: $offset) { sheet rowNumber result x y reason } } }',
      { id, first: PAGE, offset: listed });
    const rows = data.conversion.problemRows;
    listProblems(rows, rows.length === PAGE ? listed + PAGE + 1 : listed + rows.length);
  } catch (err) {
    $('more').insertAdjacentHTML('afterend', `<p class="error">${escapeHtml(errorText(err))}</p>`);
  }
};

/** Five shades from light to dark by share of the largest count; regions without rows stay white. */
const SHADES = ['#dbe8f7', '#b3cdee', '#7ea8de', '#4a7fc8', '#1f56a8'];
function shading(counts, max = Math.max(0, ...counts.map((r) => r.rows))) {
  if (!counts.length) return '#ffffff';
  const pairs = counts.flatMap((r) => [r.code, SHADES[Math.min(4, Math.floor((r.rows / max) * 5 - 1e-9))]]);
  return ['match', ['get', 'code'], ...pairs, '#ffffff'];
}

/** A set version's tile path name: `kostat-2013@2` → `kostat-2013`. */
const tileSet = (label) => label.split('@')[0];

/**
 * Rows dated by a column are counted in the version of their date: a region only another version
 * has (청원군 in kostat-2013) is drawn from that version's tiles, over the conversion's own, in
 * the same shades and with a dashed outline; never on a polygon of the other version.
 */
function otherVersionLayers(c, sido, sigungu) {
  const own = c.boundarySet;
  const others = [...new Set([...sido, ...sigungu].map((r) => r.boundarySet).filter((b) => b && b !== own))];
  const maxSido = Math.max(0, ...sido.map((r) => r.rows));
  const maxSigungu = Math.max(0, ...sigungu.map((r) => r.rows));
  const sources = {};
  const layers = [];
  others.forEach((label, k) => {
    const source = `version${k}`;
    sources[source] = { type: 'vector', tiles: [`${location.origin}/tiles/${encodeURIComponent(tileSet(label))}/{z}/{x}/{y}.pbf`], minzoom: 0, maxzoom: 14 };
    for (const [level, counts, max, zoom] of [[1, sido, maxSido, { maxzoom: 7 }], [2, sigungu, maxSigungu, { minzoom: 7 }]]) {
      const mine = counts.filter((r) => r.boundarySet === label);
      if (!mine.length) continue;
      const only = ['in', ['get', 'code'], ['literal', mine.map((r) => r.code)]];
      layers.push(
        { id: `${source}-fill${level}`, type: 'fill', source, 'source-layer': `level${level}`, ...zoom, filter: only, paint: { 'fill-color': shading(mine, max), 'fill-opacity': 0.9 } },
        { id: `${source}-line${level}`, type: 'line', source, 'source-layer': `level${level}`, ...zoom, filter: only, paint: { 'line-color': '#3f5068', 'line-width': 1, 'line-dasharray': [2, 1] } },
      );
    }
  });
  return { sources, layers, others };
}

function drawMap(c, sido, sigungu, problemRows) {
  const set = tileSet(c.boundarySet || 'kostat-2018@1');
  const ownSido = sido.filter((r) => !r.boundarySet || r.boundarySet === c.boundarySet);
  const ownSigungu = sigungu.filter((r) => !r.boundarySet || r.boundarySet === c.boundarySet);
  const other = otherVersionLayers(c, sido, sigungu);
  const points = problemRows.filter((r) => r.lon !== null && r.lat !== null).map((r) => ({
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [r.lon, r.lat] },
    properties: { rowNumber: r.rowNumber, sheet: r.sheet, result: r.result, reason: r.reason || '' },
  }));
  // No text on the map: no symbol layers, so no glyphs are ever requested; everything comes from this service.
  const map = new maplibregl.Map({
    container: 'map',
    bounds: [[124.5, 33.0], [131.0, 38.7]],
    maxZoom: 15,
    attributionControl: false,
    style: {
      version: 8,
      sources: {
        boundaries: { type: 'vector', tiles: [`${location.origin}/tiles/${encodeURIComponent(set)}/{z}/{x}/{y}.pbf`], minzoom: 0, maxzoom: 14 },
        problems: { type: 'geojson', data: { type: 'FeatureCollection', features: points } },
        ...other.sources,
      },
      layers: [
        { id: 'sea', type: 'background', paint: { 'background-color': '#e9f0f7' } },
        { id: 'sido-fill', type: 'fill', source: 'boundaries', 'source-layer': 'level1', maxzoom: 7, paint: { 'fill-color': shading(ownSido, Math.max(0, ...sido.map((r) => r.rows))), 'fill-opacity': 0.9 } },
        { id: 'sigungu-fill', type: 'fill', source: 'boundaries', 'source-layer': 'level2', minzoom: 7, paint: { 'fill-color': shading(ownSigungu, Math.max(0, ...sigungu.map((r) => r.rows))), 'fill-opacity': 0.9 } },
        { id: 'emd-line', type: 'line', source: 'boundaries', 'source-layer': 'level3', minzoom: 10, paint: { 'line-color': '#a9b6c6', 'line-width': 0.4 } },
        { id: 'sigungu-line', type: 'line', source: 'boundaries', 'source-layer': 'level2', paint: { 'line-color': '#8294aa', 'line-width': 0.6 } },
        { id: 'sido-line', type: 'line', source: 'boundaries', 'source-layer': 'level1', paint: { 'line-color': '#3f5068', 'line-width': 1.1 } },
        ...other.layers,
        {
          id: 'problem-points', type: 'circle', source: 'problems',
          paint: {
            'circle-radius': ['interpolate', ['linear'], ['zoom'], 5, 3.5, 12, 6],
            'circle-color': ['match', ['get', 'result'], 'NEAREST', '#e39b00', '#d32f2f'],
            'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1,
          },
        },
      ],
    },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  map.on('click', 'problem-points', (e) => {
    const p = e.features[0].properties;
    new maplibregl.Popup({ closeButton: true })
      .setLngLat(e.features[0].geometry.coordinates)
      .setHTML(`<b>${p.rowNumber}행</b> <span class="muted">${escapeHtml(p.sheet)}</span><br>${RESULT_KO[p.result]}${p.reason ? ` · ${escapeHtml(p.reason)}` : ''}`)
      .addTo(map);
  });
  map.on('mouseenter', 'problem-points', () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', 'problem-points', () => { map.getCanvas().style.cursor = ''; });
  map.on('load', () => document.body.setAttribute('data-map', 'loaded'));
  window.conversionMap = map;
  $('legend').innerHTML = `<span>주소를 찾은 행:</span>${SHADES.map((s, i) => `<span><i class="swatch" style="background:${s}"></i>${i === 0 ? '적음' : i === 4 ? '많음' : ''}</span>`).join('')}
    <span><i class="dot" style="background:#e39b00"></i>근접</span><span><i class="dot" style="background:#d32f2f"></i>해당없음</span>
    ${other.others.map((label) => `<span><i class="swatch" style="border:1px dashed #3f5068"></i>${escapeHtml(tileSet(label))} 경계로 센 행</span>`).join('')}
    <span>${problemRows.length >= MAP_POINTS ? `확인이 필요한 행 중 처음 ${num(MAP_POINTS)}개만 표시` : '점을 누르면 행 번호와 이유를 보여 줍니다'}</span>`;
}

async function start() {
  if (!/^[0-9a-f-]{36}$/i.test(id)) {
    $('status').textContent = '잘못된 주소입니다';
    return;
  }
  // An unknown id, or another key's conversion, is a NOT_FOUND error (older servers answered null).
  const data = await gql(`query ($id: ID!) { conversion(id: $id) { ${FIELDS} } }`, { id }).catch((err) => {
    if (err && err.code === 'NOT_FOUND') return { conversion: null };
    throw err;
  });
  if (!data.conversion) {
    $('status').textContent = '그런 변환이 없습니다';
    return;
  }
  show(data.conversion);
  if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(data.conversion.status)) return;
  subscribe(`subscription ($id: ID!) { conversionProgress(id: $id) { ${FIELDS} } }`, { id }, (d) => show(d.conversionProgress), (err) => {
    if (err) $('error').textContent = errorText(err);
  });
}
start().catch((err) => { $('error').textContent = errorText(err); });
