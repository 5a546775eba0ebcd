/**
 * After `tsc -p tsconfig.cjs.json`: marks dist/cjs as CommonJS, since the package itself is
 * `"type": "module"` and Node would otherwise load the `.js` files there as ES modules.
 */
import { writeFileSync } from "node:fs";

writeFileSync(new URL("../dist/cjs/package.json", import.meta.url), '{ "type": "commonjs" }\n');
