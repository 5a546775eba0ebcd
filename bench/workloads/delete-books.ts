/** Workload 10: delete every book, one operation per book, each known by its key only. */
import { at, type Workload } from "./workload.js";

export const deleteBooks: Workload = {
  id: "10",
  name: "delete all books",
  answers: "none",
  plan: ({ data }) => ({
    count: data.books.length,
    run: (subject, i) => subject.deleteBook(at(data.books, i).title),
  }),
};
