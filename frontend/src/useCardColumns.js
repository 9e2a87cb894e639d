import { useCallback, useEffect, useState } from 'react';

/**
 * How many cards of at least ``minCardWidthPx`` fit side by side in the widget's own box
 * (not the window: a slot may be a narrow side panel on a wide screen), up to ``maxColumns``.
 *
 * Returns ``[ref, columns]``: put ``ref`` on the widget's root; a ResizeObserver follows
 * its width. Without ResizeObserver (old browsers, jsdom) the width is read once.
 */
export function useCardColumns(minCardWidthPx, maxColumns) {
  const [node, setNode] = useState(null);
  const [columns, setColumns] = useState(1);
  const ref = useCallback((element) => setNode(element), []);

  useEffect(() => {
    if (!node) {
      return undefined;
    }
    const fit = (width) => {
      setColumns(Math.max(1, Math.min(maxColumns, Math.floor(width / minCardWidthPx) || 1)));
    };
    fit(node.getBoundingClientRect().width);
    if (typeof ResizeObserver === 'undefined') {
      return undefined;
    }
    const observer = new ResizeObserver((entries) => fit(entries[0].contentRect.width));
    observer.observe(node);
    return () => observer.disconnect();
  }, [node, minCardWidthPx, maxColumns]);

  return [ref, columns];
}

export default useCardColumns;
