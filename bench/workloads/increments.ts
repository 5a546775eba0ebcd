/** Workload 12: many increments of ONE counter (a book's sorted `pages`, so its index moves too). */
import { bookTitle } from "../data.js";
import { type Workload } from "./workload.js";

export const COUNTER_ROW = bookTitle(1);

export const increments: Workload = {
  id: "12",
  name: "increments of one counter",
  answers: "none",
  contended: true,
  speedTarget: 0.8,
  plan: ({ config }) => ({
    count: Math.ceil(config.ops / 4),
    run: (subject, i) => subject.incrementPages(COUNTER_ROW, 1 + (i % 3)),
  }),
};
