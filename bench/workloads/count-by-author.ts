/** Workload 14: count the books of a random author (one relationship, one value: one index). */
import { at, params, type Workload } from "./workload.js";

export const countByAuthor: Workload = {
  id: "14",
  name: "count by relationship",
  answers: "unordered",
  plan: ({ data, config }) => {
    const authors = params(config.ops, 14, (next) => Math.floor(next() * data.authors.length));
    return { count: authors.length, run: (subject, i) => subject.countByAuthor(at(authors, i)) };
  },
};
