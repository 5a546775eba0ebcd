/** Workload 8: 1,000 books from a random `pages` value up, in pages order, with their authors loaded. */
import { MAX_PAGES } from "../data.js";
import { at, params, type Workload } from "./workload.js";

export const LOAD_LIMIT = 1000;

export const includeAuthor: Workload = {
  id: "8",
  name: 'load 1,000 books + include("author")',
  answers: "ordered",
  plan: ({ data, config }) => {
    // Start low enough that about 1,200 books lie above, so every operation loads a full 1,000.
    const share = Math.min(1, (1.2 * LOAD_LIMIT) / data.books.length);
    const highest = Math.max(1, Math.floor(MAX_PAGES * (1 - share)));
    const lows = params(
      Math.max(5, Math.floor(config.ops / 20)),
      8,
      (next) => 1 + Math.floor(next() * highest),
    );
    return { count: lows.length, run: (subject, i) => subject.booksWithAuthors(at(lows, i), LOAD_LIMIT) };
  },
};
