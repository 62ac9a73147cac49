// Regenerates sio_vectors.json from the reference JavaScript parsers.
// Not run by the tests. Usage:
//   cd /tmp && npm install socket.io-parser socket.io-msgpack-parser
//   NODE_PATH=/tmp/node_modules node tests/runtime/socketio/gen_sio_vectors.js \
//     > tests/runtime/socketio/sio_vectors.json
"use strict";
const parser = require("socket.io-parser");
const msgpackParser = require("socket.io-msgpack-parser");
const fs = require("fs");
const path = require("path");
// socket.io-parser's "exports" hides package.json: read it from its directory.
const versionOf = (name, entry) => {
  let dir = path.dirname(require.resolve(name));
  while (!fs.existsSync(path.join(dir, "package.json")) || !dir.endsWith(entry)) {
    dir = path.dirname(dir);
  }
  return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
};
const parserVersion = versionOf("socket.io-parser", "socket.io-parser");
const msgpackVersion = versionOf("socket.io-msgpack-parser", "socket.io-msgpack-parser");

const buf = (...b) => Buffer.from(b);

// Plain values for JSON output: Buffers become {"$bytes": hex}.
function portable(v) {
  if (Buffer.isBuffer(v)) return { $bytes: v.toString("hex") };
  if (Array.isArray(v)) return v.map(portable);
  if (v && typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v)) out[k] = portable(v[k]);
    return out;
  }
  return v;
}

function encodeText(packet) {
  return new parser.Encoder().encode(packet).map((part) =>
    typeof part === "string" ? part : { $bytes: Buffer.from(part).toString("hex") },
  );
}

// Decode back with the JS decoder to prove the vector is valid for it.
function jsDecodes(parts) {
  const decoder = new parser.Decoder({ maxAttachments: 100 });
  let out = null;
  decoder.on("decoded", (p) => (out = p));
  for (const part of parts) {
    decoder.add(typeof part === "string" ? part : Buffer.from(part.$bytes, "hex"));
  }
  return out !== null;
}

const textCases = [
  ["connect main", { type: 0, nsp: "/" }],
  ["connect with auth", { type: 0, nsp: "/admin", data: { token: "123" } }],
  ["connect reply", { type: 0, nsp: "/", data: { sid: "oSO0OpakMV_3jnilAAAA" } }],
  ["disconnect admin", { type: 1, nsp: "/admin" }],
  ["event", { type: 2, nsp: "/", data: ["hello", 1] }],
  ["event with ack", { type: 2, nsp: "/admin", id: 456, data: ["project:delete", 123] }],
  ["ack empty", { type: 3, nsp: "/admin", id: 456, data: [] }],
  ["connect error object", { type: 4, nsp: "/", data: { message: "Not authorized" } }],
  ["connect error string", { type: 4, nsp: "/chat", data: "Unable to connect" }],
  ["binary event", { type: 2, nsp: "/", data: ["hello", buf(1, 2, 3)] }],
  ["binary ack", { type: 3, nsp: "/admin", id: 456, data: [buf(3, 2, 1)] }],
  [
    "nested binary",
    { type: 2, nsp: "/up", id: 7, data: ["up", { a: [buf(0), { b: buf(255, 254) }], c: buf() }] },
  ],
  ["unicode", { type: 2, nsp: "/", data: ["msg", "h\u00e9llo \u2603 \ud83d\ude00", { k: "\u2028" }] }],
  ["lone surrogate", { type: 2, nsp: "/", data: ["s", "a\ud800b"] }],
  ["escapes", { type: 2, nsp: "/", data: ["q", 'a"b\\c\n\t\u0001/'] }],
  [
    "numbers",
    { type: 2, nsp: "/", data: ["n", 0, -1, 9007199254740991, 1.5, -0.25, true, false, null] },
  ],
  ["big ack id", { type: 2, nsp: "/", id: 9007199254740991, data: ["x"] }],
];

const text = textCases.map(([name, packet]) => {
  const encoded = encodeText(packet);
  return { name, packet: portable(packet), encoded, js_decodes: jsDecodes(encoded) };
});

// socket.io-msgpack-parser: one msgpack map per packet, buffers inline.
const msgpackCases = [
  ["connect main", { type: 0, nsp: "/" }],
  ["connect with auth", { type: 0, data: { token: "123" }, nsp: "/admin" }],
  ["disconnect", { type: 1, nsp: "/admin" }],
  ["event", { type: 2, data: ["hello", 1], nsp: "/" }],
  ["event with ack", { type: 2, data: ["project:delete", 123], nsp: "/admin", id: 456 }],
  ["ack", { type: 3, data: [], nsp: "/admin", id: 456 }],
  ["connect error", { type: 4, data: { message: "Not authorized" }, nsp: "/" }],
  ["binary inline", { type: 2, data: ["hello", buf(1, 2, 3), { b: buf(255) }], nsp: "/" }],
  ["unicode", { type: 2, data: ["msg", "h\u00e9llo \u2603 \ud83d\ude00"], nsp: "/" }],
  [
    "numbers",
    { type: 2, data: ["n", 0, -1, 300, -70000, 4294967296, 1.5, true, false, null], nsp: "/" },
  ],
  // What socket.io-client actually sends: extra "options" key, id before nsp.
  [
    "client emit shape",
    { type: 2, data: ["chat", "hi"], options: { compress: true }, id: 3, nsp: "/chat" },
  ],
];

const msgpack = msgpackCases.map(([name, packet]) => {
  const encoded = new msgpackParser.Encoder().encode(packet);
  return { name, packet: portable(packet), encoded_hex: Buffer.from(encoded[0]).toString("hex") };
});

process.stdout.write(
  JSON.stringify(
    {
      generator: `socket.io-parser ${parserVersion}, socket.io-msgpack-parser ${msgpackVersion}`,
      text,
      msgpack,
    },
    null,
    1,
  ) + "\n",
);
