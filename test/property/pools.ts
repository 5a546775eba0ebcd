/**
 * The small value pools the generated operations draw from. Small on purpose: keys, unique values
 * and relationship targets collide often, so key moves, conflicts and cascades happen in short runs.
 * Names hold characters popoto escapes in keys (`:`, `*`, `-`).
 */
import { toClusterKey } from "../support/cluster-keys.js";
import { keyOf } from "../support/property-models.js";

/**
 * A key in the layout of the run (`{PropAuthor}:ann` on the cluster), as popoto stores and returns
 * it: computed here at import, before connect() sets the layout. (That a key in the standalone
 * spelling names the same instance on a cluster is test/integration/cluster-layout.test.ts's case.)
 */
const inRunLayout = (key: string): string =>
  process.env["POPOTO_TEST_CLUSTER"] === "1" ? toClusterKey(key) : key;

export const AUTHOR_NAMES = ["ann", "anna", "b:ob", "c*y", "d-e"] as const;
export const NAME_PREFIXES = ["a", "ann", "b", "b:", "c*", "d-", "z"] as const;
export const HANDLES = ["h1", "h2", "h3"] as const;

export const BOOK_TITLES = ["Dune", "Dune-2", "Emma", "It:s", "it"] as const;
export const TITLE_PREFIXES = ["D", "Dune", "Dune-", "E", "I", "i", "It:", "x"] as const;
export const ISBNS = [1, 2, 3, 4] as const;

export const VISIT_IDS = ["v1", "v2", "v3", "v4"] as const;
export const TOKENS = ["t1", "t2", "t3"] as const;

/** Every author key a relationship may name (the author need not exist). */
export const AUTHOR_KEYS = AUTHOR_NAMES.map((name) => inRunLayout(keyOf("PropAuthor", { name })));

/** A book key no generated book can have, for dangling references and empty filters. */
export const MISSING_BOOK_KEY = inRunLayout(keyOf("PropBook", { title: "Nope", isbn: 9 }));
