import { useCallback, useEffect, useRef, useState } from 'react';

/** The space between two cards, in pixels (Paragon's spacer, 1rem): the grid's ``gap``. */
export const CARD_GAP_PX = 16;

/**
 * How many columns of cards at least ``minCardWidthPx`` wide fit in ``widthPx``, from one
 * to ``maxColumns``. One column when the width is unknown (not laid out yet, or jsdom).
 */
export function columnsFor(widthPx, minCardWidthPx, maxColumns, gapPx = CARD_GAP_PX) {
  if (!widthPx || widthPx <= 0) {
    return 1;
  }
  const fitting = Math.floor((widthPx + gapPx) / (minCardWidthPx + gapPx));
  return Math.max(1, Math.min(maxColumns, fitting));
}

/** The grid's inline style for ``columns`` equal columns that may shrink below their content's width. */
export function gridStyle(columns) {
  return { gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`, gap: `${CARD_GAP_PX}px` };
}

/**
 * Cards sized by the width the widget actually has, not by the viewport: the profile puts
 * its slot in a half column, the learning MFE in a 360 px side panel or a 1140 px body.
 *
 * Returns ``[ref, columns]``: give ``ref`` to the element whose width counts (a callback
 * ref, so it may mount after loading); ``columns`` follows that element's width through a
 * ``ResizeObserver``, so that every card is at least ``minCardWidthPx`` wide (one column
 * when even one card is narrower) and there are never more than ``maxColumns``.
 */
export default function useCardColumns(minCardWidthPx, maxColumns) {
  const [columns, setColumns] = useState(1);
  const observer = useRef(null);

  const ref = useCallback((node) => {
    if (observer.current) {
      observer.current.disconnect();
      observer.current = null;
    }
    if (!node) {
      return;
    }
    const measure = (width) => setColumns(columnsFor(width, minCardWidthPx, maxColumns));
    measure(node.getBoundingClientRect().width);
    if (typeof ResizeObserver === 'undefined') {
      return;
    }
    observer.current = new ResizeObserver((entries) => {
      const entry = entries[entries.length - 1];
      measure(entry.contentRect.width);
    });
    observer.current.observe(node);
  }, [minCardWidthPx, maxColumns]);

  useEffect(() => () => {
    if (observer.current) {
      observer.current.disconnect();
    }
  }, []);

  return [ref, columns];
}
