/**
 * What the index tools take and report. Lists in a report are capped (`maxListed`); the counts
 * beside them are exact, so a report's size follows the damage shown, never the database's size.
 */

/** One way an index disagrees with the hashes. */
export interface IndexDifference {
  /** `missing`: the hash calls for the entry, the index lacks it; `stale`: the index has an entry no hash calls for; `score`: a sorted entry with the wrong score. */
  readonly kind: "missing" | "stale" | "score";
  /** The index structure (`$KeyF:Book:title:Dune`), or a ttl shadow hash (`$IndexValues:…`, member ""). */
  readonly index: string;
  /** The member; in a `$Index` hash, the entry as `<field>\0\0<instance key>`. */
  readonly member: string;
  /** The instance the entry is about. */
  readonly instance: string;
  readonly expected?: number | undefined;
  readonly actual?: number | undefined;
}

/** An instance hash that cannot be decoded. */
export interface CorruptRow {
  readonly key: string;
  readonly field: string;
  readonly message: string;
}

/** A key of the wrong Redis type where popoto keeps an index or an instance. */
export interface WrongTypeKey {
  readonly key: string;
  readonly actual: string;
  readonly expected: "set" | "zset" | "hash";
}

/** Exact counts of everything a check found (the lists beside them may be capped). */
export interface IndexCounts {
  readonly missing: number;
  readonly stale: number;
  readonly score: number;
  readonly corrupt: number;
  readonly misplaced: number;
  readonly wrongType: number;
}

/** What `checkIndexes()` found. */
export interface IndexReport {
  readonly model: string;
  /** Instance hashes read (healthy ones: corrupt and misplaced rows are counted apart). */
  readonly instances: number;
  /** Index structures read, and entries in them. */
  readonly indexKeys: number;
  readonly entries: number;
  /** Hashes whose stored key is not the key their values make (left alone, as Popoto's rebuild does). */
  readonly misplaced: readonly string[];
  /** Instance hashes with a value that does not decode: key and field. Their index entries are left alone. */
  readonly corrupt: readonly CorruptRow[];
  /** Keys at a model's index or instance names holding another Redis type than popoto keeps there. */
  readonly wrongType: readonly WrongTypeKey[];
  /** The differences, up to `maxListed`; `counts` has them all. */
  readonly differences: readonly IndexDifference[];
  /** How many of each: exact, whatever the lists hold. */
  readonly counts: IndexCounts;
  /** True when some list above holds fewer items than its count (raise `maxListed` to see more). */
  readonly truncated: boolean;
  /** The most items (keys, members, entries, differences) the tool held at once: bounded by the batch size. */
  readonly peakHeld: number;
}

/** Progress of a scan: what is being read, and how far it got. */
export type MaintenanceProgress = (phase: string, done: number, total: number) => void;

/** Default batch: keys per SCAN, members per read, instances per pipeline. */
export const DEFAULT_BATCH_SIZE = 1000;
/** Default cap on each list in a report. */
export const DEFAULT_MAX_LISTED = 1000;

export interface MaintenanceOptions {
  /**
   * Keys per SCAN, index members per read, instances per pipeline (default 1000). Memory follows
   * it: the tools hold one batch at a time (times the entries of an instance), never the database.
   */
  readonly batchSize?: number | undefined;
  /** Differences, corrupt rows, misplaced and wrong-typed keys listed per report (default 1000); counts stay exact. */
  readonly maxListed?: number | undefined;
  readonly onProgress?: MaintenanceProgress | undefined;
}

/** What a repair does with corrupt rows (and instance keys of another Redis type): see README "Operations". */
export type CorruptAction = "report" | "quarantine" | "delete";

export interface RepairOptions extends MaintenanceOptions {
  /**
   * `report` (default): list them and leave them alone. `quarantine`: rename each to
   * `$Quarantine:<key>` (kept for inspection, out of every query) and remove its index entries.
   * `delete`: delete each and remove its index entries.
   */
  readonly corrupt?: CorruptAction | undefined;
}

/** What a repair changed, counted by re-reading the entries after the repair. */
export interface RepairResult {
  readonly model: string;
  /** Corrupt rows found (left alone unless quarantined or deleted); capped at `maxListed`. */
  readonly corrupt: readonly CorruptRow[];
  /** Keys of the wrong Redis type found; index keys among them are deleted (and their entries rebuilt by rebuild). */
  readonly wrongType: readonly WrongTypeKey[];
  /** Keys deleted because they held the wrong Redis type at an index's name. */
  readonly deletedKeys: readonly string[];
  /** Corrupt rows (or instance keys of another type) moved to `$Quarantine:<key>`. */
  readonly quarantined: readonly string[];
  /** Corrupt rows (or instance keys of another type) deleted. */
  readonly deleted: readonly string[];
  /** Differences the repair set out to fix that still hold when re-read (a concurrent write, or a failure). */
  readonly unresolved: number;
  /** Stale entries removed (and wrong scores corrected). */
  readonly removed: number;
  /** Missing entries added (rebuild only). */
  readonly added: number;
  /**
   * Instances whose hash is gone, whose leftovers were removed. An instance whose leftovers lie in
   * index keys read in different batches counts once per batch; `removed` counts entries exactly.
   */
  readonly purged: number;
  readonly misplaced: readonly string[];
  /** Exact counts of the lists above (which hold at most `maxListed` each). */
  readonly totals: {
    readonly corrupt: number;
    readonly wrongType: number;
    readonly deletedKeys: number;
    readonly quarantined: number;
    readonly deleted: number;
    readonly misplaced: number;
  };
  /** Corrupt rows and wrong-typed instance keys still in place after the repair (`corrupt: "report"`, or changed meanwhile). */
  readonly damagedLeft: number;
  readonly truncated: boolean;
  readonly peakHeld: number;
}
