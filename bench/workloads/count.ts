/** Workload 9: count the books of a random author with at least a random number of pages. */
import { MAX_PAGES } from "../data.js";
import { at, params, type Workload } from "./workload.js";

export const countFiltered: Workload = {
  id: "9",
  name: "count with a filter",
  answers: "unordered",
  plan: ({ data, config }) => {
    const filters = params(config.ops, 9, (next) => ({
      author: Math.floor(next() * data.authors.length),
      minPages: 1 + Math.floor(next() * MAX_PAGES),
    }));
    return {
      count: filters.length,
      run: (subject, i) => subject.countBooks(at(filters, i).author, at(filters, i).minPages),
    };
  },
};
