#!/usr/bin/env node
// Real Socket.IO clients (the npm socket.io-client of tests/interop/js), driven over
// stdin/stdout with the protocol of client_runner.py, so that the same harness
// (tests/brokers/harness.py ClientRunner) drives both:
//
//   {"op":"connect","name":n,"url":u,"transports":[...]} -> {"op":"connected","name":n,"sid":s}
//     (with "local_address": a, its connections come from address a, e.g. 127.0.5.1)
//   {"op":"cmd","name":n,"id":i,"data":d}  emits `cmd` with an ack -> {"op":"ack","id":i,"data":...}
//   {"op":"disconnect","name":n} / {"op":"quit"}
//
// Every event a client receives is printed as {"op":"event","name":n,"event":e,"args":[...]},
// each disconnect as {"op":"disconnected","name":n,"reason":r}, a failure as {"op":"error",...}.
'use strict';

const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');
const { createRequire } = require('node:module');

// socket.io-client is installed once, for the interop suite
const requireClient = createRequire(path.resolve(__dirname, '../../interop/js/package.json'));
const { io } = requireClient('socket.io-client');

const TIMEOUT_MS = 20000;
const clients = new Map();

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function connect(name, url, transports, localAddress) {
  const options = { forceNew: true, reconnection: false, transports, timeout: TIMEOUT_MS };
  if (localAddress) {
    // a client "from another host": polling goes through the agent, websocket takes the option
    Object.assign(options, { agent: new http.Agent({ localAddress }), localAddress });
  }
  const socket = io(url, options);
  clients.set(name, socket);
  socket.onAny((event, ...args) => out({ op: 'event', name, event, args }));
  socket.on('disconnect', (reason) => out({ op: 'disconnected', name, reason: String(reason) }));
  socket.once('connect', () => out({ op: 'connected', name, sid: socket.id }));
  socket.once('connect_error', (err) => out({ op: 'error', name, error: `connect_error: ${err.message}` }));
}

function handle(command) {
  const { op, name } = command;
  if (op === 'connect') {
    return connect(name, command.url, command.transports || ['websocket'], command.local_address);
  }
  const socket = clients.get(name);
  if (!socket) return out({ op: 'error', name, id: command.id, error: `no client ${name}` });
  if (op === 'cmd') {
    socket.timeout(TIMEOUT_MS).emit('cmd', command.data, (err, result) => {
      if (err) out({ op: 'error', name, id: command.id, error: String(err) });
      else out({ op: 'ack', id: command.id, data: result === undefined ? null : result });
    });
  } else if (op === 'disconnect') {
    socket.disconnect();
  } else {
    out({ op: 'error', name, id: command.id, error: `unknown op ${op}` });
  }
}

let quitting = false;
function quit() {
  if (quitting) return;
  quitting = true;
  for (const socket of clients.values()) socket.disconnect();
  lines.close();
  // the event loop ends once the disconnects are sent; exit anyway if one hangs
  setTimeout(() => process.exit(0), 5000).unref();
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  const command = JSON.parse(line);
  if (command.op === 'quit') return quit();
  handle(command);
});
lines.on('close', quit);
out({ op: 'ready' });
