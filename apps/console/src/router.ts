import { createContext, useContext } from 'react';

export const BASE = '/console';

/** The console's own path (after /console), e.g. `/connections/abc`. */
export function currentPath(): string {
  const path = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : '/';
  return path === '' ? '/' : path;
}

export const NavigateContext = createContext<(path: string) => void>(() => undefined);

export function useNavigate(): (path: string) => void {
  return useContext(NavigateContext);
}
