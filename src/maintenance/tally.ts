/**
 * The running totals of a check or repair: exact counts, lists capped at `maxListed`, and the
 * largest number of items held at once (what the memory test asserts on).
 */
import type { CorruptRow, IndexCounts, IndexDifference, WrongTypeKey } from "./types.js";

/** A list that keeps its first `cap` items and counts them all. */
export class CappedList<T> {
  readonly items: T[] = [];
  count = 0;
  constructor(private readonly cap: number) {}
  add(item: T): void {
    this.count++;
    if (this.items.length < this.cap) this.items.push(item);
  }
  get truncated(): boolean {
    return this.count > this.items.length;
  }
}

export class Tally {
  readonly differences: CappedList<IndexDifference>;
  readonly corrupt: CappedList<CorruptRow>;
  readonly misplaced: CappedList<string>;
  readonly wrongType: CappedList<WrongTypeKey>;
  readonly deletedKeys: CappedList<string>;
  readonly quarantined: CappedList<string>;
  readonly deleted: CappedList<string>;
  readonly kinds = { missing: 0, stale: 0, score: 0 };
  instances = 0;
  indexKeys = 0;
  entries = 0;
  removed = 0;
  added = 0;
  purged = 0;
  unresolved = 0;
  /** Corrupt rows and wrong-typed instance keys left in place. */
  damagedLeft = 0;
  peakHeld = 0;

  constructor(readonly maxListed: number) {
    const list = <T>(): CappedList<T> => new CappedList<T>(maxListed);
    this.differences = list();
    this.corrupt = list();
    this.misplaced = list();
    this.wrongType = list();
    this.deletedKeys = list();
    this.quarantined = list();
    this.deleted = list();
  }

  /** Records how many items one step holds at once. */
  hold(items: number): void {
    if (items > this.peakHeld) this.peakHeld = items;
  }

  addDifference(difference: IndexDifference): void {
    this.differences.add(difference);
    this.kinds[difference.kind]++;
  }

  counts(): IndexCounts {
    return {
      ...this.kinds,
      corrupt: this.corrupt.count,
      misplaced: this.misplaced.count,
      wrongType: this.wrongType.count,
    };
  }

  get truncated(): boolean {
    return [
      this.differences,
      this.corrupt,
      this.misplaced,
      this.wrongType,
      this.deletedKeys,
      this.quarantined,
      this.deleted,
    ].some((list) => list.truncated);
  }
}
