/** Number formats shared by the terminal table, the markdown and the chart. */

export const opsText = (value: number): string =>
  value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(1);

/** Milliseconds with three significant digits. */
export const msText = (value: number): string =>
  value >= 100
    ? value.toFixed(0)
    : value >= 10
      ? value.toFixed(1)
      : value >= 1
        ? value.toFixed(2)
        : value.toFixed(3);

export const ratioText = (value: number): string => `${value.toFixed(2)}x`;

/** Round trips per operation: whole numbers as they are, else two decimals. */
export const tripsText = (value: number): string =>
  Math.abs(value - Math.round(value)) < 0.005 ? String(Math.round(value)) : value.toFixed(2);

/** 1.2k, 34k, 1.5M: short labels for the chart. */
export const shortNumber = (value: number): string => {
  if (value >= 1e6) return `${(value / 1e6).toFixed(value >= 1e7 ? 0 : 1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(value >= 1e4 ? 0 : 1)}k`;
  return value >= 10 ? value.toFixed(0) : value.toFixed(1);
};
