/**
 * Collects the keys of one script call for KEYS and hands out their 1-based positions; a key is
 * sent once however often the plan names it. Scripts name keys by position (never by building
 * key names in Lua), so Redis Cluster can route the call by its declared keys.
 */
export class KeyList {
  readonly keys: string[] = [];
  readonly #positions = new Map<string, number>();

  position(key: string): number {
    let position = this.#positions.get(key);
    if (position === undefined) {
      this.keys.push(key);
      position = this.keys.length;
      this.#positions.set(key, position);
    }
    return position;
  }
}
