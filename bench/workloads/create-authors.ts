/** Workload 1: create every author (one operation per author). */
import { at, type Workload } from "./workload.js";

export const createAuthors: Workload = {
  id: "1",
  name: "create authors",
  answers: "none",
  plan: ({ data }) => ({
    count: data.authors.length,
    run: (subject, i) => subject.createAuthor(at(data.authors, i)),
  }),
};
