'use strict';
// Shared by the upload page and the conversion page: GraphQL over fetch and graphql-ws, and the
// Korean words for the API's enum values and error codes.

const $ = (id) => document.getElementById(id);

const STATUS_KO = { UPLOADING: '올리는 중', QUEUED: '대기 중', RUNNING: '진행 중', COMPLETED: '완료', FAILED: '실패', CANCELLED: '취소됨' };
const PHASE_KO = { WAITING: '차례를 기다리는 중', ANALYZING: '파일 분석 중', GEOCODING: '주소 찾는 중', FINISHING: '파일 마무리 중', DONE: '끝' };
const RESULT_KO = { OK: '정상', NEAREST: '근접', NO_MATCH: '해당없음', INVALID: '좌표오류' };
const ERROR_KO = {
  EMPTY_FILE: '빈 파일입니다.',
  NO_DATA_ROWS: '파일에 머리글만 있고 데이터 행이 없습니다.',
  NO_COORDINATES: '좌표 열을 찾지 못했습니다. 열 이름을 x·y(경도·위도)로 하거나 X·Y 열을 지정해 주세요.',
  UNRECOGNISED_COORDINATES: '좌표 값이 알려진 좌표계에 맞지 않습니다. 좌표계 EPSG 번호를 지정해 주세요.',
  AMBIGUOUS_SRID: '여러 좌표계에 맞는 값이라 좌표계를 정할 수 없습니다. EPSG 번호(예: 5186, 5174)를 지정해 주세요.',
  UNSUPPORTED_FILE: '지원하지 않는 파일입니다. CSV, TSV, XLSX 파일을 올려 주세요.',
  FILE_TOO_LARGE: '파일이 너무 큽니다.',
  UNKNOWN_SRID: '알 수 없는 좌표계(EPSG 번호)입니다.',
  UNKNOWN_COLUMN: '지정한 열을 찾지 못했습니다.',
  UNKNOWN_SHEET: '지정한 시트가 파일에 없습니다.',
  UNKNOWN_BOUNDARY_SET: '그런 경계 데이터가 없습니다.',
  INVALID_COORDINATES: '좌표가 올바르지 않습니다.',
  BAD_USER_INPUT: '입력값이 올바르지 않습니다.',
  BAD_REQUEST: '요청이 올바르지 않습니다.',
  NOT_FOUND: '찾을 수 없습니다.',
  ALREADY_FINISHED: '이미 끝난 변환입니다.',
  TOO_MANY_ATTEMPTS: '처리하던 작업자가 여러 번 멈춰 변환을 중단했습니다.',
  INTERNAL: '서버 내부 오류로 변환하지 못했습니다.',
  INTERNAL_SERVER_ERROR: '서버 내부 오류가 났습니다.',
};

/** An error the API reported, in Korean: by its code, with the server's words where they name specifics. */
class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}
function koreanError(message, code) {
  const korean = code && ERROR_KO[code];
  if (!korean) return message || '알 수 없는 오류가 났습니다.';
  // Messages that already are Korean are shown as they are; English ones give way to the code's words.
  return /[가-힣]/.test(message || '') && !/^[A-Za-z]/.test(message) ? message : korean;
}
function errorText(err) {
  return koreanError(err && err.message, err && err.code);
}

// The API key (when the server needs one) lives in localStorage and goes with every request.
const KEY_ITEM = 'coord2region.apiKey';
function authHeaders() {
  const key = localStorage.getItem(KEY_ITEM);
  return key ? { authorization: `Bearer ${key}` } : {};
}
/** POST /graphql with the key; a 401 shows the key box where the page has one. */
async function api(init) {
  const res = await fetch('/graphql', { method: 'POST', ...init, headers: { ...init.headers, ...authHeaders() } });
  const keyBox = document.getElementById('keyBox');
  if (res.status === 401 && keyBox) keyBox.hidden = false;
  return res;
}
async function gql(query, variables = {}) {
  const res = await api({ headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return unwrap(await res.json());
}
function unwrap(body) {
  if (body.errors && body.errors.length) {
    const e = body.errors[0];
    throw new ApiError(e.message, e.extensions && e.extensions.code);
  }
  return body.data;
}

// A minimal graphql-ws ("graphql-transport-ws") client: enough for one subscription at a time.
function subscribe(query, variables, onNext, onDone) {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`, 'graphql-transport-ws');
  let finished = false;
  const done = (err) => {
    if (finished) return;
    finished = true;
    onDone(err);
  };
  ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: authHeaders() }));
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.type === 'connection_ack') ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
    else if (msg.type === 'next') onNext(msg.payload.data);
    else if (msg.type === 'error') { done(new ApiError(msg.payload.map((e) => e.message).join('\n'), msg.payload[0]?.extensions?.code)); ws.close(); }
    else if (msg.type === 'complete') { done(); ws.close(); }
    else if (msg.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
  };
  ws.onerror = () => done(new ApiError('실시간 연결(WebSocket)이 끊겼습니다.'));
  return () => { finished = true; ws.close(); };
}

function escapeHtml(s) { return String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]); }
function num(n) { return Number(n || 0).toLocaleString('ko-KR'); }
function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 1) return '1초 미만';
  if (seconds < 60) return `${Math.round(seconds)}초`;
  return `${Math.floor(seconds / 60)}분 ${Math.round(seconds % 60)}초`;
}
