/**
 * Query answers in a form that does not depend on the implementation: books as
 * `title|author|pages|genre` (with the author's fields when it was loaded), sorted unless order matters.
 */
const get = (value: object, name: string): unknown => (value as Record<string, unknown>)[name];

const authorText = (author: unknown): string => {
  if (typeof author === "string") return author;
  if (author === null || typeof author !== "object") return String(author);
  const key = get(author, "redisKey") ?? get(author, "key");
  const name = get(author, "name");
  return typeof name === "string" ? `${String(key)}{${name},${String(get(author, "country"))}}` : String(key);
};

const bookText = (book: unknown): string => {
  if (book === null || typeof book !== "object") return String(book);
  return [get(book, "title"), authorText(get(book, "author")), get(book, "pages"), get(book, "genre")]
    .map((v) => (typeof v === "string" ? v : String(v)))
    .join("|");
};

export function normalizeAnswer(answer: unknown, ordered: boolean): string {
  if (!Array.isArray(answer)) return typeof answer === "object" ? bookText(answer) : String(answer);
  const lines = answer.map(bookText);
  if (!ordered) lines.sort();
  return `${lines.length}: ${lines.join("\n")}`;
}
