/**
 * The model API beyond create/save/delete: getOrCreate/updateOrCreate, bulk operations with
 * progress, partial saves, atomicIncrement, toJSON/toDict, exists() and Model.fields.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/model-api.ts
 *
 * It deletes every instance of its models (ApiAuthor, ApiBook) at the end.
 */
import {
  connect,
  disconnect,
  DatetimeField,
  Field,
  IntField,
  KeyField,
  Model,
  Relationship,
  SortedField,
} from "../src/index.js";

class ApiAuthor extends Model("ApiAuthor", { name: KeyField(), country: Field({ null: true }) }) {}

class ApiBook extends Model("ApiBook", {
  title: KeyField(),
  author: Relationship(ApiAuthor),
  pages: SortedField({ type: "int" }),
  sold: IntField({ default: 0 }),
  price: Field({ type: "decimal", default: "9.99" }),
  updatedAt: DatetimeField({ autoNow: true }),
}) {}

declare module "../src/index.js" {
  interface Models {
    ApiAuthor: typeof ApiAuthor;
    ApiBook: typeof ApiBook;
  }
}

const show = (title: string, value: unknown): void => console.log(`${title}:`, value);

async function main(): Promise<void> {
  // getOrCreate: the stored instance, or a new one from lookup + defaults; [instance, created].
  const [leGuin, created] = await ApiAuthor.getOrCreate({ name: "Le Guin" }, { country: "US" });
  show("getOrCreate Le Guin", { created, country: leGuin.country });
  const [again, createdAgain] = await ApiAuthor.getOrCreate({ name: "Le Guin" }, { country: "FR" });
  show("getOrCreate Le Guin again", { created: createdAgain, country: again.country });
  // updateOrCreate: writes `values` to the stored instance (a partial save), or creates it.
  const [updated, createdNow] = await ApiAuthor.updateOrCreate({ name: "Le Guin" }, { country: "USA" });
  show("updateOrCreate Le Guin", { created: createdNow, country: updated.country });

  // bulkCreate: validated first, then one pipeline per batch, each instance atomic.
  const items = Array.from({ length: 25 }, (_, i) => ({
    title: `Volume ${String(i + 1).padStart(2, "0")}`,
    author: leGuin,
    pages: 100 + i * 10,
  }));
  const books = await ApiBook.bulkCreate(items, {
    batchSize: 10,
    onProgress: (done, total) => console.log(`  bulkCreate: ${done}/${total}`),
  });
  show("ApiBook.query().count()", await ApiBook.query().count());

  // bulkUpdate: change many instances, writing only the listed fields.
  for (const book of books) book.sold = book.pages > 300 ? 5 : 1;
  show(
    "bulkUpdate({ fields: ['sold'] })",
    await ApiBook.bulkUpdate(books, { fields: ["sold"], batchSize: 10 }),
  );

  // Partial save: write only `pages` (and its index); other fields stay as stored, so two
  // processes updating different fields of one instance do not overwrite each other.
  const [first] = books;
  if (!first) throw new Error("bulkCreate returned nothing");
  const elsewhere = await ApiBook.load({ title: first.title }); // another copy, as another process would hold
  if (elsewhere) {
    elsewhere.price = "12.50";
    await elsewhere.save({ fields: ["price"] });
  }
  first.pages = 150;
  await first.save({ fields: ["pages"] });
  const stored = await ApiBook.load(first.redisKey);
  show("after two partial saves", { pages: stored?.pages, price: stored?.price });

  // atomicIncrement: adds in Redis (hash and sorted index together) and returns the new value.
  show("atomicIncrement('sold', 2)", await first.atomicIncrement("sold", 2));
  show("atomicIncrement('pages', 25)", await first.atomicIncrement("pages", 25));
  show(
    "pages__gte: 175, ordered",
    (await ApiBook.query().filter({ pages__gte: 175 }).orderBy("pages").first())?.title,
  );

  // toJSON (relationships as keys) and toDict (loaded relationships nested, to `depth`).
  const [withAuthor] = await ApiBook.query().filter({ title: first.title }).include("author");
  show("JSON.stringify(book)", JSON.stringify(withAuthor));
  show(
    "book.toDict({ relationships: true, exclude: ['updatedAt'] })",
    withAuthor?.toDict({ relationships: true, exclude: ["updatedAt"] }),
  );

  // exists(): one EXISTS, by key values or instance key.
  show("ApiBook.exists({ title: 'Volume 01' })", await ApiBook.exists({ title: "Volume 01" }));
  show("ApiBook.exists('ApiBook:Nope')", await ApiBook.exists("ApiBook:Nope"));

  // Model.fields: what each field is, for tooling.
  show(
    "ApiBook.fields",
    Object.values(ApiBook.fields).map(
      (f) => `${f.name}: ${f.kind} ${f.type}${f.key ? " (key)" : ""}${f.target ? ` -> ${f.target}` : ""}`,
    ),
  );

  // bulkDelete (instances or keys) and deleteAll, with progress.
  show("bulkDelete(10 books)", await ApiBook.bulkDelete(books.slice(0, 10)));
  show(
    "deleteAll()",
    await ApiBook.deleteAll({
      batchSize: 10,
      onProgress: (done, total) => console.log(`  deleteAll: ${done}/${total}`),
    }),
  );
}

await connect();
try {
  await main();
} finally {
  for (const model of [ApiBook, ApiAuthor]) await model.deleteAll();
  await disconnect();
}
