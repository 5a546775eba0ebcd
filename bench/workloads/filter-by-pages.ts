/** Workload 6: books in a random `pages` range holding about 1% of them, in pages order. */
import { MAX_PAGES } from "../data.js";
import { at, params, type Workload } from "./workload.js";

const WIDTH = MAX_PAGES / 100;

export const filterByPages: Workload = {
  id: "6",
  name: "filter by pages range (1%)",
  answers: "ordered",
  plan: ({ config }) => {
    const lows = params(
      Math.floor(config.ops / 2),
      6,
      (next) => 1 + Math.floor(next() * (MAX_PAGES - WIDTH)),
    );
    return {
      count: lows.length,
      run: (subject, i) => subject.booksByPages(at(lows, i), at(lows, i) + WIDTH - 1),
    };
  },
};
