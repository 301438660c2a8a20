import type { NextFunction, Request, Response } from 'express';
import { writeAppError } from './mattermost-error.filter';

/**
 * Deepest nesting of arrays and objects accepted in a request body. Real payloads nest a handful of levels (post
 * props with attachments, a peer's sync message); the recursive code behind every route (validation, the JSON
 * encoding for PostgreSQL) overflows the stack somewhere below 5,000.
 */
export const MAX_JSON_DEPTH = 100;

/** Cheap pre-check: only strings that match go through the exact tests below. */
// eslint-disable-next-line no-control-regex -- NUL is what this looks for
const SUSPECT = /[\u0000\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why PostgreSQL cannot store a string (text and JSON both refuse NUL; JSON refuses an unpaired surrogate). */
export function unstorableReason(text: string): string | undefined {
  if (!SUSPECT.test(text)) return undefined;
  if (text.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate';
  return undefined;
}

export interface InputProblem {
  /** Where the problem is, e.g. `props.a[2]`; `''` for the value itself. */
  field: string;
  reason: string;
  /** The value nests deeper than allowed (reported as undecodable JSON rather than a bad field). */
  tooDeep?: boolean;
}

interface Pending {
  value: unknown;
  depth: number;
  parent?: Pending;
  key?: string;
}

function pathOf(entry: Pending): string {
  const keys: string[] = [];
  for (let e: Pending | undefined = entry; e?.parent; e = e.parent) keys.push(e.key!);
  return keys.reverse().join('.');
}

/**
 * The first string (value or key) PostgreSQL could not store, or nesting deeper than `maxDepth`, in a parsed JSON
 * value. Iterative, so that a hostile depth cannot overflow the stack here either.
 */
export function findUnstorableInput(root: unknown, maxDepth = MAX_JSON_DEPTH): InputProblem | undefined {
  const stack: Pending[] = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const { value, depth } = entry;
    if (typeof value === 'string') {
      const reason = unstorableReason(value);
      if (reason) return { field: pathOf(entry), reason };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= maxDepth) return { field: pathOf(entry), reason: `nested deeper than ${maxDepth} levels`, tooDeep: true };
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], depth: depth + 1, parent: entry, key: String(i) });
      continue;
    }
    for (const key of Object.keys(value)) {
      const reason = unstorableReason(key);
      if (reason) return { field: pathOf(entry), reason: `has a key that ${reason}` };
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, parent: entry, key });
    }
  }
  return undefined;
}

/** The decoded path segments, or the first that is not valid percent-encoded UTF-8. */
function pathProblem(path: string): InputProblem | undefined {
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return { field: segment, reason: 'is not valid percent-encoded UTF-8' };
    }
    const reason = unstorableReason(decoded);
    if (reason) return { field: segment, reason };
  }
  return undefined;
}

/**
 * Refuses, before any handler runs, request input that PostgreSQL or the runtime cannot take: NUL characters and
 * unpaired surrogates in the path, the query or any string (or key) of a JSON body, and bodies nested deeper than
 * `MAX_JSON_DEPTH`. One check for every route, so that no field can be forgotten; each answers Mattermost's 400.
 */
export function refuseUnstorableInput(req: Request, res: Response, next: NextFunction): void {
  const inPath = pathProblem(req.path);
  if (inPath)
    return refuse(
      req,
      res,
      'api.context.invalid_url_param.app_error',
      `Invalid URL path segment ${quote(inPath.field)}: ${inPath.reason}.`,
    );
  const inQuery = findUnstorableInput(req.query);
  if (inQuery) {
    return refuse(
      req,
      res,
      'api.context.invalid_url_param.app_error',
      `Invalid query parameter ${quote(inQuery.field)}: ${inQuery.reason}.`,
    );
  }
  const inBody = findUnstorableInput(req.body);
  if (inBody?.tooDeep) return refuse(req, res, 'api.unmarshal_error', `Could not decode the request body: ${inBody.reason}.`);
  if (inBody) {
    const what = inBody.field === '' ? 'request body' : `${quote(inBody.field)} in request body`;
    return refuse(req, res, 'api.context.invalid_body_param.app_error', `Invalid ${what}: ${inBody.reason}.`);
  }
  next();
}

/** A field name for a message: JSON-quoted, so that a NUL or a surrogate in it is shown escaped. */
function quote(field: string): string {
  return JSON.stringify(field);
}

function refuse(req: Request, res: Response, id: string, message: string): void {
  writeAppError(req, res, { status: 400, id, message, detailed: '' });
}
