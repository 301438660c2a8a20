import { AppError } from '../errors/app-error';
import { BusError } from './message-link';

/**
 * What crosses the link: a payload is its JSON as UTF-8 bytes; a reply is one of these envelopes. An `AppError` keeps
 * its id and status code across apps, so the gateway answers Mattermost's error JSON for a refusal made elsewhere.
 */
export type WireError = {
  code: BusError['code'] | 'app_error';
  message: string;
  app_error?: { id: string; status_code: number; detailed_error: string };
};
export type ReplyEnvelope = { ok: true; data: unknown } | { ok: false; error: WireError };

export function encode(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value ?? {}), 'utf8');
}

export function decode(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    throw new BusError('invalid_payload', 'message is not JSON');
  }
}

/** A reply too large for the link becomes an error reply rather than silence and a timeout. */
export function encodeReply(envelope: ReplyEnvelope, maxPayload: number): Uint8Array {
  const data = encode(envelope);
  if (data.byteLength <= maxPayload) return data;
  return encode({ ok: false, error: { code: 'payload_too_large', message: `reply of ${data.byteLength} bytes exceeds ${maxPayload}` } });
}

/** The wire form of whatever a handler threw. */
export function toWireError(err: unknown): WireError {
  if (err instanceof AppError) {
    const app_error = { id: err.errorId, status_code: err.getStatus(), detailed_error: err.detailedError };
    return { code: 'app_error', message: err.message, app_error };
  }
  if (isWireError(err)) return err;
  return { code: err instanceof BusError ? err.code : 'handler_error', message: errorMessage(err) };
}

/** The error a requester throws for an error reply (or for a failure of the link itself). */
export function fromWireError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (!isWireError(err)) return new BusError('handler_error', errorMessage(err));
  if (err.code === 'app_error' && err.app_error) {
    return new AppError(err.app_error.id, err.message, err.app_error.status_code, err.app_error.detailed_error ?? '');
  }
  return new BusError(ERROR_CODES.includes(err.code as BusError['code']) ? (err.code as BusError['code']) : 'handler_error', err.message);
}

const ERROR_CODES: BusError['code'][] = ['no_responders', 'timeout', 'payload_too_large', 'invalid_payload', 'handler_error', 'closed'];

function isWireError(value: unknown): value is WireError {
  return typeof value === 'object' && value !== null && !(value instanceof Error) && typeof (value as WireError).code === 'string';
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (isWireError(err)) return err.message;
  return String(err);
}
