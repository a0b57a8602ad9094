/**
 * Addresses of the console: every view has its own address under /console (bookmarks, the back
 * button and links from emails work). History API only; the server answers every /console/...
 * address with the same page.
 */
import { useEffect, useState, type MouseEvent, type ReactNode } from 'react';
import { Link as CarbonLink } from '@carbon/react';

const listeners = new Set<() => void>();

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export interface Location {
  path: string;
  params: URLSearchParams;
}

function current(): Location {
  return { path: location.pathname.replace(/\/+$/, '') || '/', params: new URLSearchParams(location.search) };
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const l = () => setLoc(current());
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return loc;
}

/** Follows an in-console link without reloading; a modified click (new tab) works as usual. */
export function followLink(e: MouseEvent, to: string): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(to);
}

export function Link({ to, children, inline }: { to: string; children: ReactNode; inline?: boolean }) {
  return (
    <CarbonLink href={to} inline={inline} onClick={(e: MouseEvent) => followLink(e, to)}>
      {children}
    </CarbonLink>
  );
}
