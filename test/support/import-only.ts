/**
 * Imports popoto, defines a model and builds (but never runs) a query, counting socket connects.
 * Prints one JSON line. Used to check that nothing connects at import.
 *
 * Usage: node --import tsx test/support/import-only.ts
 */
import net from "node:net";

let connects = 0;
const original = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  connects++;
  return (original as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof original;

const popoto = await import("../../src/index.js");
class Book extends popoto.Model("Book", { title: popoto.KeyField() }) {}
const query = Book.query.filter({ title: "x" });
let code: string | undefined;
try {
  popoto.getConnection();
} catch (error) {
  code = (error as { code?: string }).code;
}
let createCode: string | undefined;
try {
  await Book.create({ title: "x" });
} catch (error) {
  createCode = (error as { code?: string }).code;
}
process.stdout.write(`${JSON.stringify({ connects, code, createCode, query: typeof query.then })}\n`);
