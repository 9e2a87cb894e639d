import { act, render } from '@testing-library/react';

import useCardColumns, { columnsFor, gridStyle } from './useCardColumns';

test.each([
  [0, 1], [300, 1], [570, 1], [687, 1], [688, 2], [1040, 3], [1140, 3], [4000, 3],
])('a %i px column holds %i columns of cards at least 336 px wide', (width, columns) => {
  expect(columnsFor(width, 336, 3)).toBe(columns);
});

test('never more columns than asked for', () => {
  expect(columnsFor(1140, 200, 2)).toBe(2);
  expect(gridStyle(2)).toEqual({ gridTemplateColumns: 'repeat(2, minmax(0, 1fr))', gap: '16px' });
});

test('follows the width of the element it is given, not the window', () => {
  const observers = [];
  global.ResizeObserver = class {
    constructor(callback) { this.callback = callback; this.disconnected = false; observers.push(this); }

    observe(node) { this.node = node; }

    disconnect() { this.disconnected = true; }
  };
  const Probe = () => {
    const [ref, columns] = useCardColumns(336, 3);
    return <div ref={ref} data-testid="probe">{columns}</div>;
  };
  const { getByTestId, unmount } = render(<Probe />);
  expect(getByTestId('probe')).toHaveTextContent('1');
  act(() => observers[0].callback([{ contentRect: { width: 1140 } }]));
  expect(getByTestId('probe')).toHaveTextContent('3');
  act(() => observers[0].callback([{ contentRect: { width: 700 } }]));
  expect(getByTestId('probe')).toHaveTextContent('2');
  unmount();
  expect(observers[0].disconnected).toBe(true);
  delete global.ResizeObserver;
});
