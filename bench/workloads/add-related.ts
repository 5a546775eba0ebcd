/** Workload 13: many `addRelated` on ONE many-relationship: every operation shelves another book. */
import { bookTitle } from "../data.js";
import { type Workload } from "./workload.js";

export const SHELF = "Shelf-0";

export const addRelated: Workload = {
  id: "13",
  name: "addRelated to one shelf",
  answers: "none",
  contended: true,
  speedTarget: 0.5,
  plan: ({ config, data }) => ({
    count: Math.min(data.books.length, Math.ceil(config.ops / 4)),
    prepare: (subject) => subject.createShelf(SHELF),
    run: (subject, i) => subject.shelve(SHELF, bookTitle(i)),
  }),
};
