/** Workload 3: get a random book by its key field. */
import { at, params, type Workload } from "./workload.js";

export const getBook: Workload = {
  id: "3",
  name: "get book by key",
  answers: "unordered",
  plan: ({ data, config }) => {
    const titles = params(
      config.ops,
      3,
      (next) => at(data.books, Math.floor(next() * data.books.length)).title,
    );
    return { count: titles.length, run: (subject, i) => subject.getBook(at(titles, i)) };
  },
};
