// A USSD gateway (USSDC) on the npm `smpp` package, for menuflow's USSD-over-SMPP
// interoperability test. JSON lines: commands on stdin, events on stdout
// (first line: {"event":"listening","port":N}).
//   {"cmd":"deliver","fields":{..., "short_message_hex":"..", "its_session_info_hex":"0502"}}
// Events: bind, deliver_resp {status}, submit {ussd_service_op, its_session_info_hex,
// user_message_reference, data_coding, short_message_hex, source_addr, destination_addr}.
'use strict';
const path = require('path');
const readline = require('readline');
const base = path.join(__dirname, '..', 'npm', 'node_modules', 'smpp');
const smpp = require(base);
const defs = require(path.join(base, 'lib', 'defs'));

// Keep the octets as sent: the test checks our encoding, not this package's decoder.
defs.filters.message.decode = function (value) { return value; };

const sessions = new Set();
let nextId = 1;
function emit(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }
function hex(v) { return Buffer.isBuffer(v) ? v.toString('hex') : null; }

const server = smpp.createServer((session) => {
  sessions.add(session);
  session.on('close', () => sessions.delete(session));
  session.on('error', (e) => emit({ event: 'session_error', error: String(e) }));
  session.on('bind_transceiver', (pdu) => {
    session.send(pdu.response({ system_id: 'NPMUSSDC' }));
    session.bound = true;
    emit({ event: 'bind', system_id: pdu.system_id });
  });
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('unbind', (pdu) => { session.send(pdu.response()); session.close(); });
  session.on('submit_sm', (pdu) => {
    session.send(pdu.response({ message_id: (nextId++).toString(16) }));
    emit({ event: 'submit', source_addr: pdu.source_addr, destination_addr: pdu.destination_addr,
      data_coding: pdu.data_coding, short_message_hex: hex(pdu.short_message) || '',
      ussd_service_op: pdu.ussd_service_op, its_session_info_hex: hex(pdu.its_session_info),
      user_message_reference: pdu.user_message_reference, service_type: pdu.service_type });
  });
});

server.listen(0, '127.0.0.1', () => emit({ event: 'listening', port: server.address().port }));

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const cmd = JSON.parse(line);
  if (cmd.cmd !== 'deliver') return;
  const target = [...sessions].find((s) => s.bound);
  if (!target) { emit({ event: 'error', error: 'not bound' }); return; }
  const f = Object.assign({}, cmd.fields);
  for (const k of ['short_message', 'its_session_info']) {
    if (f[k + '_hex'] !== undefined) { f[k] = Buffer.from(f[k + '_hex'], 'hex'); delete f[k + '_hex']; }
  }
  target.deliver_sm(f, (resp) => emit({ event: 'deliver_resp', status: resp.command_status }));
}).on('close', () => process.exit(0));
