/**
 * SV1 transport: newline-delimited JSON-RPC with a line cap, Stratum's response shapes.
 */
import test from "ava";
import fc from "fast-check";
import {
  encodeError,
  encodeNotification,
  encodeResult,
  LineDecoder,
  LineTooLongError,
  parseRequestLine,
  SV1_ERROR,
} from "../../src/index.ts";

const enc = new TextEncoder();

test("line framing: any chunking of a byte stream yields the same lines in order", (t) => {
  fc.assert(
    fc.property(
      fc.array(
        fc
          .string({ minLength: 1, maxLength: 40 })
          .filter((s) => !/[\n\r]/.test(s) && s.trim() === s && s !== ""),
        {
          maxLength: 20,
        },
      ),
      fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 10 }),
      (lines, cuts) => {
        const bytes = enc.encode(lines.map((l) => `${l}\r\n`).join(""));
        const decoder = new LineDecoder(1024);
        const out: string[] = [];
        let at = 0;
        let i = 0;
        while (at < bytes.length) {
          const size = cuts[i++ % cuts.length]!;
          out.push(...decoder.push(bytes.subarray(at, at + size)));
          at += size;
        }
        t.deepEqual(out, lines);
        t.is(decoder.buffered, 0);
      },
    ),
  );
});

test("line framing: a line over the maximum fails before it is buffered whole", (t) => {
  const decoder = new LineDecoder(100);
  t.deepEqual(decoder.push(enc.encode("x".repeat(60))), []);
  const error = t.throws(() => decoder.push(enc.encode("y".repeat(60))), { instanceOf: LineTooLongError });
  t.is(error?.maxLineBytes, 100);
  // A terminated line that is too long fails too, and the exact maximum passes.
  t.throws(() => new LineDecoder(10).push(enc.encode(`${"z".repeat(11)}\n`)), {
    instanceOf: LineTooLongError,
  });
  t.deepEqual(new LineDecoder(10).push(enc.encode(`${"z".repeat(10)}\n`)), ["z".repeat(10)]);
});

test("JSON-RPC: non-JSON is a parse error with id null; a bad shape is an invalid request with its id", (t) => {
  t.deepEqual(parseRequestLine("not json"), {
    ok: false,
    id: null,
    error: { code: SV1_ERROR.PARSE_ERROR, message: "parse error" },
  });
  const bad = parseRequestLine('{"id":7,"method":42}');
  t.false(bad.ok);
  if (!bad.ok) {
    t.is(bad.id, 7);
    t.is(bad.error.code, SV1_ERROR.INVALID_REQUEST);
  }
  t.false(parseRequestLine('{"id":1,"method":"mining.submit","params":{"a":1}}').ok);
  t.false(parseRequestLine("[1,2,3]").ok);
});

test("JSON-RPC: requests parse; missing params mean []", (t) => {
  t.deepEqual(parseRequestLine('{"id":1,"method":"mining.subscribe","params":["cgminer/4.12"]}'), {
    ok: true,
    request: { id: 1, method: "mining.subscribe", params: ["cgminer/4.12"] },
  });
  t.deepEqual(parseRequestLine('{"id":"a","method":"mining.extranonce.subscribe"}'), {
    ok: true,
    request: { id: "a", method: "mining.extranonce.subscribe", params: [] },
  });
});

test("Stratum shapes: results and errors carry both fields, notifications have id null", (t) => {
  t.is(encodeResult(3, true), '{"id":3,"result":true,"error":null}\n');
  t.is(
    encodeError(4, { code: SV1_ERROR.JOB_NOT_FOUND, message: "job not found" }),
    '{"id":4,"result":null,"error":[21,"job not found",null]}\n',
  );
  t.is(
    encodeNotification("mining.set_difficulty", [2]),
    '{"id":null,"method":"mining.set_difficulty","params":[2]}\n',
  );
});
