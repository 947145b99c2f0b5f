/** The view (filters, opened history) lives in the URL query string. */
import { useCallback, useEffect, useState } from 'react';
import { parseView, serializeView, type ViewState } from '../lib/viewState';

function currentView(): ViewState {
  return parseView(window.location.search);
}

export function useView(): [ViewState, (patch: Partial<ViewState>, mode?: 'replace' | 'push') => void] {
  const [view, setViewState] = useState<ViewState>(currentView);

  useEffect(() => {
    const onPop = () => setViewState(currentView());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const setView = useCallback((patch: Partial<ViewState>, mode: 'replace' | 'push' = 'replace') => {
    setViewState((prev) => {
      const next = { ...prev, ...patch };
      const url = `${window.location.pathname}${serializeView(next)}${window.location.hash}`;
      if (url !== `${window.location.pathname}${window.location.search}${window.location.hash}`) {
        if (mode === 'push') window.history.pushState(null, '', url);
        else window.history.replaceState(null, '', url);
      }
      return next;
    });
  }, []);

  return [view, setView];
}
