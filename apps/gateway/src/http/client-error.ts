import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Statuses Node's HTTP parser answers with by itself (and that Express never sees), by error code. */
const PARSER_STATUS: Record<string, { status: number; id: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    id: 'api.context.request_header_too_large.app_error',
    message: 'The request line or headers are too large.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, id: 'api.context.request_timeout.app_error', message: 'The request took too long to arrive.' },
};

/**
 * A request Node's HTTP parser refuses (headers or URL over its limit, malformed request line) is answered by Node
 * in plain text before any middleware runs; this answers it with Mattermost's error JSON instead, as every other
 * refusal. The connection is closed, as Node does.
 */
export function answerParserErrorsAsJson(server: Server): void {
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const known = Object.hasOwn(PARSER_STATUS, err.code ?? '') ? PARSER_STATUS[err.code!] : undefined;
    const { status, id, message } = known ?? { status: 400, id: 'api.context.invalid_param.app_error', message: 'Malformed HTTP request.' };
    const body = JSON.stringify({ id, message, detailed_error: '', request_id: '', status_code: status });
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
