/** Workload 5: the books of a random author, filtered through the relationship (`author__name`). */
import { at, params, type Workload } from "./workload.js";

export const filterByAuthorName: Workload = {
  id: "5",
  name: "filter by author__name",
  answers: "unordered",
  plan: ({ data, config }) => {
    const names = params(
      Math.floor(config.ops / 2),
      5,
      (next) => at(data.authors, Math.floor(next() * data.authors.length)).name,
    );
    return { count: names.length, run: (subject, i) => subject.booksByAuthorName(at(names, i)) };
  },
};
