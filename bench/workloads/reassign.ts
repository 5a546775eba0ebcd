/**
 * Workload 7: point every tenth book at another author. Each operation knows the book's key only,
 * so it reads the book, then writes the new author and moves the book between reverse sets.
 */
import { at, type Workload } from "./workload.js";

export const reassign: Workload = {
  id: "7",
  name: "reassign author (10% of books)",
  answers: "none",
  plan: ({ data }) => {
    const authors = data.authors.length;
    const books = data.books.filter((b) => b.index % 10 === 0);
    // Never the book's current author: i % authors + 1 + (something below authors - 1), modulo authors.
    const next = books.map((b, k) => (b.author + 1 + (k % (authors - 1))) % authors);
    return { count: books.length, run: (subject, i) => subject.reassign(at(books, i).title, at(next, i)) };
  },
};
