/**
 * Workload 11: many writers on ONE row. Each operation loads the book, changes its pages and saves
 * the whole instance (`save()`, no field list), as a request handler would.
 */
import { bookTitle, MAX_PAGES } from "../data.js";
import { at, params, type Workload } from "./workload.js";

/** The row every operation writes (workload 12 counts on another one). */
export const HOT_ROW = bookTitle(0);

export const hotRow: Workload = {
  id: "11",
  name: "hot row: load, change, save()",
  answers: "none",
  contended: true,
  speedTarget: 0.5,
  plan: ({ config }) => {
    const pages = params(Math.ceil(config.ops / 4), 11, (next) => 1 + Math.floor(next() * MAX_PAGES));
    return { count: pages.length, run: (subject, i) => subject.saveHotRow(HOT_ROW, at(pages, i)) };
  },
};
