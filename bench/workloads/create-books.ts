/** Workload 2: create every book, book i by author i % authors (one operation per book). */
import { at, type Workload } from "./workload.js";

export const createBooks: Workload = {
  id: "2",
  name: "create books",
  answers: "none",
  plan: ({ data }) => ({
    count: data.books.length,
    run: (subject, i) => subject.createBook(at(data.books, i)),
  }),
};
