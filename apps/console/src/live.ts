import { useEffect, useState } from 'react';

/** Our websocket events that change what the console shows; any of them makes the open page reload its data. */
const LIVE_EVENTS = new Set(['remote_cluster_changed']);
const RECONNECT_MS = 5000;

/** Fired ('change') for each such event; the pages' polling stays as the fallback when the socket is down. */
export const liveChanges = new EventTarget();

/**
 * Mattermost's websocket (`/api/v4/websocket`), authenticated by the session cookie at upgrade. Reconnects after a
 * pause while signed in; `onOpen` reports whether it is connected.
 */
export function connectLive(onOpen: (open: boolean) => void): () => void {
  let socket: WebSocket | undefined;
  let timer: number | undefined;
  let stopped = false;
  const open = () => {
    const url = new URL('/api/v4/websocket', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(url);
    socket.onmessage = (message) => {
      try {
        const event = JSON.parse(String(message.data)) as { event?: string };
        if (event.event === 'hello') onOpen(true);
        if (event.event && LIVE_EVENTS.has(event.event)) liveChanges.dispatchEvent(new Event('change'));
      } catch {
        // Not JSON: nothing the console acts on.
      }
    };
    socket.onclose = () => {
      onOpen(false);
      if (!stopped) timer = window.setTimeout(open, RECONNECT_MS);
    };
  };
  open();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
    socket?.close();
  };
}

/** Calls `refresh` on each live change while the component is mounted. */
export function useLiveChanges(refresh: () => unknown): void {
  useEffect(() => {
    const onChange = () => void refresh();
    liveChanges.addEventListener('change', onChange);
    return () => liveChanges.removeEventListener('change', onChange);
  }, [refresh]);
}

export function useLiveConnection(signedIn: boolean): boolean {
  const [open, setOpen] = useState(false);
  useEffect(() => (signedIn ? connectLive(setOpen) : undefined), [signedIn]);
  return open;
}
