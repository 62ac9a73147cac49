// The Node.js socket.io v4 server the runtime client's tests talk to.
// Usage: node server.js PORT [default|msgpack] [PING_SECONDS]. Mirrors ../server_app.py.
"use strict";
const http = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2]);
const serializer = process.argv[3] || "default";
const ping = Number(process.argv[4] || 20) * 1000;
const options = { pingInterval: ping, pingTimeout: ping };
if (serializer === "msgpack") options.parser = require("socket.io-msgpack-parser");

const httpServer = http.createServer();
const io = new Server(httpServer, options);

function splitAck(args) {
  const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
  return [args, ack];
}

for (const name of ["/", "/chat"]) {
  const nsp = io.of(name);
  nsp.use((socket, next) => {
    const auth = socket.handshake.auth || {};
    if (auth.token === "bad") {
      const err = new Error("bad token");
      err.data = { code: 42 };
      return next(err);
    }
    next();
  });
  nsp.on("connection", (socket) => {
    socket.on("echo", (...raw) => {
      const [args, ack] = splitAck(raw);
      if (ack) ack(...args);
    });
    socket.on("echo_emit", (...args) => socket.emit("echoed", ...args));
    socket.on("whoami", (...raw) => {
      const [, ack] = splitAck(raw);
      if (ack) ack(socket.handshake.auth);
    });
    socket.on("ask", (question) => {
      socket.timeout(5000).emit("question", question, (err, answer) => {
        socket.emit("answered", err ? "timeout" : answer);
      });
    });
    socket.on("kick", () => socket.disconnect());
    socket.on("watch", () => socket.join("watchers"));
    socket.on("header", (...raw) => {
      const [, ack] = splitAck(raw);
      if (ack) ack(socket.handshake.headers["x-test"] ?? null);
    });
    socket.on("disconnect", (reason) => nsp.to("watchers").emit("left", reason));
    socket.on("transport", (...raw) => {
      const [, ack] = splitAck(raw);
      if (ack) ack(socket.conn.transport.name);
    });
  });
}

io.of("/private").use((socket, next) => {
  const err = new Error("private");
  err.data = { why: "no" };
  next(err);
});

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening ${port}`);
});
