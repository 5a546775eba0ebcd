/**
 * Lifecycle hooks: `preSave` derives a slug and a word count and refuses an empty title,
 * `postSave` queues a search-index update once Redis committed the write, `preDelete` protects
 * published posts, `postDelete` removes the post from the (pretend) search index. It also shows
 * what a failed write and a bulk write do with the hooks.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/hooks.ts
 *
 * It deletes every instance of its model (HookPost) at the end.
 */
import {
  connect,
  disconnect,
  Field,
  IntField,
  isPopotoError,
  KeyField,
  Model,
  UniqueField,
} from "../src/index.js";

/** What the post-hooks would send to a search service. */
const searchQueue: string[] = [];

class HookPost extends Model("HookPost", {
  slug: KeyField(),
  title: Field(),
  words: IntField({ default: 0 }),
  isbn: UniqueField({ null: true }),
  published: Field({ type: "boolean", default: false }),
}) {
  override async preSave(): Promise<void> {
    this.title = this.title.trim();
    if (this.title === "") throw new Error("a post needs a title");
    this.words = this.title.split(/\s+/).length;
  }

  override async postSave(): Promise<void> {
    await Promise.resolve(); // e.g. an HTTP call to the search service
    searchQueue.push(`index ${this.redisKey}`);
  }

  override preDelete(): void {
    if (this.published) throw new Error(`${this.slug} is published; unpublish it before deleting`);
  }

  override postDelete(): void {
    searchQueue.push(`drop ${this.redisKey}`);
  }
}

const show = (title: string, value: unknown): void => console.log(`${title}:`, value);

async function main(): Promise<void> {
  const post = await HookPost.create({ slug: "hello", title: "  Hello hooks  ", isbn: "1" });
  show("title and words set by preSave", [post.title, post.words]);

  try {
    await HookPost.create({ slug: "blank", title: "   " });
  } catch (error) {
    show("preSave cancelled", (error as Error).message);
  }
  show("blank stored", await HookPost.exists({ slug: "blank" }));

  try {
    await HookPost.create({ slug: "copy", title: "Same ISBN", isbn: "1" });
  } catch (error) {
    if (!isPopotoError(error, "UNIQUE_VIOLATION")) throw error;
    show("failed write, so no postSave", searchQueue);
  }

  // Bulk: every preSave first (one throwing would cancel all), then postSave for each written post.
  await HookPost.bulkCreate([
    { slug: "a", title: "First of two" },
    { slug: "b", title: "Second" },
  ]);
  show("after bulkCreate", searchQueue);

  post.published = true;
  await post.save();
  try {
    await post.delete();
  } catch (error) {
    show("preDelete cancelled", (error as Error).message);
  }
  post.published = false;
  await post.save();
  show("deleted", await post.delete());

  // Deletes by key load no instances, so they run no hooks.
  show(
    "query().delete()",
    await HookPost.query()
      .filter({ slug__in: ["a", "b"] })
      .delete(),
  );
  show("search queue", searchQueue);
}

await connect();
try {
  await main();
} finally {
  await HookPost.deleteAll();
  await disconnect();
}
