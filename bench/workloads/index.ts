/** Every workload, in the order a pass runs them (1 and 2 create the data, 10 removes it, last). */
import { addRelated } from "./add-related.js";
import { countByAuthor } from "./count-by-author.js";
import { countFiltered } from "./count.js";
import { createAuthors } from "./create-authors.js";
import { createBooks } from "./create-books.js";
import { deleteBooks } from "./delete-books.js";
import { filterByAuthorName } from "./filter-by-author-name.js";
import { filterByAuthor } from "./filter-by-author.js";
import { filterByPages } from "./filter-by-pages.js";
import { getBook } from "./get-book.js";
import { hotRow } from "./hot-row.js";
import { increments } from "./increments.js";
import { includeAuthor } from "./include-author.js";
import { reassign } from "./reassign.js";
import type { Workload } from "./workload.js";

export const WORKLOADS: readonly Workload[] = [
  createAuthors,
  createBooks,
  getBook,
  filterByAuthor,
  filterByAuthorName,
  filterByPages,
  reassign,
  includeAuthor,
  countFiltered,
  countByAuthor,
  hotRow,
  increments,
  addRelated,
  deleteBooks,
];
