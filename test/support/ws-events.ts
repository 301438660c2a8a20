import WebSocket from 'ws';
import { waitFor } from '@fedchat/testing';

/** A websocket event as the gateway sends it. */
export interface WsEventFrame {
  event: string;
  data: Record<string, unknown>;
  broadcast: Record<string, unknown>;
}

/** A signed-in websocket of one user that records the events it receives, for tests that expect or rule out events. */
export class EventRecorder {
  readonly events: WsEventFrame[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as Partial<WsEventFrame>;
      if (typeof frame.event === 'string') this.events.push(frame as WsEventFrame);
    });
  }

  /** Connects to `<baseUrl>/api/v4/websocket` with the token and waits for `hello`. */
  static async connect(baseUrl: string, token: string): Promise<EventRecorder> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/v4/websocket`, { headers: { Authorization: `Bearer ${token}` } });
    // Listening before the socket opens: a server that knows the caller sends `hello` at once, and that frame can
    // arrive with the upgrade's answer, before code awaiting 'open' runs.
    const recorder = new EventRecorder(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await recorder.next('hello');
    return recorder;
  }

  /** The first event named `event` (matching `match`) received so far or within 5 s. */
  async next(event: string, match: (e: WsEventFrame) => boolean = () => true): Promise<WsEventFrame> {
    return waitFor(`websocket event ${event}`, async () => this.events.find((e) => e.event === event && match(e)), 5000, 20);
  }

  named(event: string): WsEventFrame[] {
    return this.events.filter((e) => e.event === event);
  }

  close(): void {
    this.ws.terminate();
  }
}
