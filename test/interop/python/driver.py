"""Runs Python Popoto for popoto's interop tests: one JSON request per stdin line, one reply per
stdout line. A request is {"id": n, "code": "..."}: an expression is evaluated and its value sent
back; statements are executed and the name `result` (if set) is sent back. Values travel as
tagged JSON (see `enc`) so that -0.0, 1e300, big ints, Decimal text, bytes, sets, tuples and
microsecond datetimes arrive exactly.

Popoto reads REDIS_URL at import; the test passes its own database, never db 0.
"""

import datetime
import decimal
import json
import sys
import traceback

import models  # noqa: E402  (the interop models, mirrored in test/interop/models.ts)
import popoto.models.base as popoto_base
from popoto import Model


def enc(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else {"$int": str(value)}
    if isinstance(value, float):
        return {"$float": repr(value)}
    if isinstance(value, bytes):
        return {"$bytes": value.hex()}
    if isinstance(value, decimal.Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"$time": value.isoformat()}
    if isinstance(value, Model):
        fields = {name: enc(getattr(value, name)) for name in value._meta.fields}
        return {"$model": type(value).__name__, "key": value.db_key.redis_key, "fields": fields}
    if isinstance(value, tuple):
        return {"$tuple": [enc(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"$set": sorted((enc(v) for v in value), key=repr)}
    if isinstance(value, list):
        return [enc(v) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[enc(k), enc(v)] for k, v in value.items()]}
    return {"$repr": repr(value)}


def main():
    namespace = {name: getattr(models, name) for name in dir(models) if not name.startswith("__")}
    namespace.update(datetime=datetime, Decimal=decimal.Decimal, enc=enc)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        # 0.8.3 tracks relationship loading in a module-level set that it empties only when the
        # outermost load finishes normally; a long-lived process starts each request afresh.
        popoto_base.RELATED_MODEL_LOAD_SEQUENCE = set()
        try:
            code = request["code"]
            try:
                compiled = compile(code, "<interop>", "eval")
            except SyntaxError:
                namespace.pop("result", None)
                exec(compile(code, "<interop>", "exec"), namespace)
                value = namespace.get("result")
            else:
                value = eval(compiled, namespace)
            reply = {"id": request["id"], "ok": enc(value)}
        except Exception:
            reply = {"id": request["id"], "error": traceback.format_exc()}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
