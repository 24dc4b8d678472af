// The HTTP API of `appaudit serve` (/api/v1, docs in notes/api_contract.md and docs/platform.md).
// The token lives in sessionStorage and goes with every request as a Bearer token; a 401
// anywhere sends the user back to the sign-in page.

const TOKEN_KEY = 'appaudit.token';
export const API = 'api/v1';

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function setToken(tok: string | null): void {
  if (tok) sessionStorage.setItem(TOKEN_KEY, tok);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The signed-in user (from GET /me), for naming them where the API gives only their id. */
export let currentUser: Me | null = null;
export function setCurrentUser(me: Me | null): void {
  currentUser = me;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};
/** Called on any 401: the router clears the token and shows the sign-in page. */
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

/** The absolute URL of an API path ('apps?q=x'), relative to where the dashboard is served. */
export function apiUrl(path: string): string {
  return new URL(`${API}/${path}`, document.baseURI).href;
}

function authHeaders(): Record<string, string> {
  const tok = token();
  return tok ? { Authorization: `Bearer ${tok}` } : {};
}

async function errorOf(res: Response): Promise<ApiError> {
  let msg = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: string };
    if (body.error) msg = body.error;
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, msg);
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = authHeaders();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(apiUrl(path), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) {
    onUnauthorized();
    throw await errorOf(res);
  }
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body);

/** Downloads an API resource (which needs the token, so a plain link will not do). */
export async function download(path: string, fileName: string): Promise<void> {
  const res = await fetch(apiUrl(path), { headers: authHeaders() });
  if (res.status === 401) onUnauthorized();
  if (!res.ok) throw await errorOf(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** POSTs a file as the raw request body, reporting upload progress (0..1). */
export function upload<T>(path: string, file: File, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl(path));
    const tok = token();
    if (tok) xhr.setRequestHeader('Authorization', `Bearer ${tok}`);
    xhr.setRequestHeader('Content-Type', 'application/vnd.android.package-archive');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status === 401) onUnauthorized();
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(body as T);
      } else {
        const msg = (body as { error?: string } | null)?.error ?? `${xhr.status} ${xhr.statusText}`;
        reject(new ApiError(xhr.status, msg));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network error'));
    xhr.send(file);
  });
}

// ---- types of the API's objects (the parts the dashboard reads) ----

export interface List<T> {
  items: T[];
  total: number;
}
export interface Org {
  id: number;
  name: string;
}
export interface Me {
  id: number;
  name: string;
  role: 'regulator' | 'enterprise' | 'distributor';
  enterprise: Org | null;
  distributor: Org | null;
}
export interface Stats {
  apps_tested: number;
  ordered_to_rectify: number;
  publicly_notified: number;
  taken_down: number;
  by_category: { category: string; name_zh: string; name_en?: string; count: number; share: number }[];
  by_sdk: { sdk: string; name?: string; count: number }[];
  by_distributor: { distributor: string; count: number }[];
  by_month: { month: string; scans: number; findings: number; cases: number }[];
}
export interface AppRow {
  id: number;
  package: string;
  label: string | null;
  enterprise: Org | null;
  versions: number;
  latest: {
    version_id: number;
    version_code: number | null;
    version_name: string | null;
    scan_id: number | null;
    status: string | null;
    findings: number;
  } | null;
  open_cases: number;
}
export interface Version {
  id: number;
  version_code: number | null;
  version_name: string | null;
  sha256: string;
  created_at: number;
  scan_id: number | null;
  status: string | null;
  findings: number;
}
export interface AppDetail {
  id: number;
  package: string;
  label: string | null;
  enterprise: Org | null;
  versions: Version[];
  distributors: Org[];
  cases: Case[];
}
export interface Evidence {
  kind: string;
  text: string;
  location: string | null;
  pi_type?: string;
  api?: string;
  path?: string[];
  path_via?: string[];
  [k: string]: unknown;
}
export interface ReportFinding {
  rule: string;
  category: string;
  severity: string;
  title: string;
  title_zh: string;
  clauses: string[];
  party: string | null;
  evidence: Evidence[];
  confidence: number;
}
export interface Review {
  state: 'confirmed' | 'false_positive' | 'waived';
  /** The reviewer: the server sends the user's id (the contract said a name). */
  by: string | number | null;
  reason: string;
  at: number;
}
export interface Finding {
  id: number;
  scan_id: number;
  rule: string;
  category: string;
  severity: string;
  party: string | null;
  title: string;
  finding: ReportFinding;
  review: Review | null;
}
export interface Collection {
  pi_type: string;
  api: string;
  caller: string;
  party: string;
  entry: { kind: string; component: string | null; method: string } | null;
  reachable: boolean;
  pre_consent: boolean;
  consent_guard: string | null;
  path: string[];
  path_via: string[];
}
export interface Sdk {
  id: string;
  name: string;
  name_zh: string;
  vendor: string;
  category: string;
  collects: boolean;
  pi_types: string[];
}
export interface Report {
  app: { package: string; label: string | null; version_name: string | null; version_code: number | null } | null;
  input: { file_name: string; sha256: string; size: number };
  permissions: { name: string; used: boolean | null }[];
  sdks: Sdk[];
  collections: Collection[];
  findings: ReportFinding[];
}
export interface Scan {
  id: number;
  submission_id: number;
  sha256: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  error?: string | null;
  attempts: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  app: { id: number; package: string; label: string | null; version_name: string | null; version_code: number | null } | null;
  findings_count: number;
  report?: Report;
}
export interface Submitted {
  submission_id: number;
  scan_id: number;
  existing: boolean;
  sha256: string;
}
export interface Case {
  id: number;
  app: { id: number; package: string; label: string | null };
  enterprise: Org | null;
  status: 'open' | 'rectifying' | 'rectified' | 'notified' | 'taken_down';
  deadline: number | null;
  overdue: boolean;
  note?: string;
  findings: Finding[];
  history: { at: number; by: string; action: string; note: string | null }[];
  recheck: { scan_id: number; remaining: string[]; fixed: string[] } | null;
}
export interface Diff {
  from: Version;
  to: Version;
  permissions: { added: string[]; removed: string[] };
  sdks: { added: string[]; removed: string[] };
  pi_collections: { added: unknown[]; removed: unknown[] };
  findings: { added: unknown[]; removed: unknown[]; unchanged: unknown[] };
}
