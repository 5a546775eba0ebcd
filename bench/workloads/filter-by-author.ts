/** Workload 4: the books of a random author, filtered by the author instance (about books / authors each). */
import { at, params, type Workload } from "./workload.js";

export const filterByAuthor: Workload = {
  id: "4",
  name: "filter by author",
  answers: "unordered",
  plan: ({ data, config }) => {
    const authors = params(Math.floor(config.ops / 2), 4, (next) => Math.floor(next() * data.authors.length));
    return { count: authors.length, run: (subject, i) => subject.booksByAuthor(at(authors, i)) };
  },
};
