// A second, independent SMSC for menuflow's interoperability tests and benchmark,
// built on the npm `smpp` package. It speaks JSON lines: commands on stdin,
// events on stdout (first line: {"event":"listening","port":N}).
//
// Commands: {"cmd":"deliver","fields":{...,"short_message_hex":"..."}}
//           {"cmd":"throttle","n":N}       answer the next N submit_sm with ESME_RTHROTTLED
//           {"cmd":"unbind"} | {"cmd":"enquire"} | {"cmd":"drop"}
//           {"cmd":"loop","n":N,"window":W,"text_hex":"5945","prefix":"86139"}
//               send N MOs from distinct numbers, W unanswered at most; an MO is
//               answered when a submit_sm to its number arrives; ends with loop_done.
//           {"cmd":"burst","n":N,"ms":T,"text_hex":"5945","prefix":"86138","retry_ms":R}
//               send N MOs from distinct numbers spread over T ms, as an SMSC keeps them: an MO
//               refused with an error status is sent again after R ms, and one whose session
//               closed before its deliver_sm_resp came is sent again once a receiver is bound.
//               Events: mo_resp {number,status}, redeliver {number}.
// MOs go round-robin to the bound receivers (several ESME processes share the traffic).
// Environment: SMSC_CREDENTIALS='{"system_id":"password"}', SMSC_QUIET=1 (no per-message events).
'use strict';
const smpp = require('smpp');
const readline = require('readline');
const defs = require('smpp/lib/defs');

const credentials = JSON.parse(process.env.SMSC_CREDENTIALS || '{"menuflow":"secret"}');
const quiet = process.env.SMSC_QUIET === '1';
const sessions = new Set();
let nextId = 1;
let throttle = 0;
let loop = null;
let burst = null;
let turn = 0;

function emit(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }

// Report the octets exactly as submitted: the Python side decodes them with the
// codec under test, so keep the package's own text decoding out of the way.
defs.filters.message.decode = function (value) { return value; };

function toHex(v) { return Buffer.isBuffer(v) ? v.toString('hex') : null; }

function receiver() {
  const bound = [...sessions].filter((s) => (s.bound === 'bind_transceiver' || s.bound === 'bind_receiver')
    && s.socket.writable);
  turn += 1;
  return bound.length ? bound[turn % bound.length] : null;
}

function deliver(fields, cb) {
  const target = receiver();
  if (!target) { emit({ event: 'error', error: 'no receiver bound' }); return; }
  const f = Object.assign({}, fields);
  if (f.short_message_hex !== undefined) {
    f.short_message = Buffer.from(f.short_message_hex, 'hex');
    delete f.short_message_hex;
  }
  target.delivered = (target.delivered || 0) + 1;
  target.deliver_sm(f, (resp) => {
    target.answered = (target.answered || 0) + 1;
    if (!quiet) emit({ event: 'deliver_resp', status: resp.command_status });
    if (cb) cb(resp);
  });
}

function loopNext() {
  while (loop && loop.sent < loop.n && loop.open.size < loop.window) {
    const number = loop.prefix + String(loop.sent).padStart(8, '0');
    loop.sent += 1;
    loop.open.add(number);
    deliver({ source_addr_ton: 1, source_addr_npi: 1, source_addr: number, destination_addr: loop.dest,
      data_coding: 0, short_message_hex: loop.text_hex });
  }
}

function loopAnswered(dest) {
  if (!loop || !loop.open.delete(dest)) return;
  loop.done += 1;
  if (loop.done === loop.n) {
    emit({ event: 'loop_done', n: loop.n, ms: Date.now() - loop.started });
    loop = null;
  } else {
    loopNext();
  }
}

function burstSend(number) {
  const target = receiver();
  if (!target) { burst.waiting.push(number); return; }
  burst.inflight.set(number, target);
  const fields = { source_addr_ton: 1, source_addr_npi: 1, source_addr: number, destination_addr: burst.dest,
    data_coding: 0, short_message: Buffer.from(burst.text_hex, 'hex') };
  target.deliver_sm(fields, (resp) => {
    if (burst.inflight.get(number) !== target) return;
    burst.inflight.delete(number);
    emit({ event: 'mo_resp', number, status: resp.command_status });
    if (resp.command_status !== 0) setTimeout(() => burstRedeliver(number), burst.retry_ms);
  });
}

function burstRedeliver(number) {
  emit({ event: 'redeliver', number });
  burstSend(number);
}

function burstSessionLost(session) {
  if (!burst) return;
  for (const [number, s] of [...burst.inflight]) {
    if (s !== session) continue;
    burst.inflight.delete(number);
    burstRedeliver(number);
  }
}

function burstBound() {
  if (!burst) return;
  const waiting = burst.waiting.splice(0);
  waiting.forEach((number) => burstSend(number));
}

function startBurst(cmd) {
  burst = { dest: cmd.dest || '10086', text_hex: cmd.text_hex, retry_ms: cmd.retry_ms || 200,
    inflight: new Map(), waiting: [] };
  const prefix = cmd.prefix || '86138';
  let sent = 0;
  const started = Date.now();
  const tick = () => {
    const due = Math.min(cmd.n, Math.ceil(((Date.now() - started + 1) / cmd.ms) * cmd.n));
    while (sent < due) {
      burstSend(prefix + String(sent).padStart(8, '0'));
      sent += 1;
    }
    if (sent < cmd.n) setTimeout(tick, 5);
    else emit({ event: 'burst_sent', n: cmd.n, ms: Date.now() - started });
  };
  tick();
}

const server = smpp.createServer((session) => {
  sessions.add(session);
  session.socket.setNoDelay(true);
  session.on('close', () => { sessions.delete(session); burstSessionLost(session); });
  session.on('error', (e) => emit({ event: 'session_error', error: String(e) }));
  const bind = (pdu) => {
    const ok = credentials[pdu.system_id] !== undefined && credentials[pdu.system_id] === pdu.password;
    session.send(pdu.response({ command_status: ok ? 0 : smpp.ESME_RBINDFAIL, system_id: 'NPMSMSC' }));
    if (ok) session.bound = pdu.command;
    emit({ event: 'bind', command: pdu.command, system_id: pdu.system_id, ok });
    if (ok && pdu.command !== 'bind_transmitter') burstBound();
  };
  session.on('bind_transceiver', bind);
  session.on('bind_transmitter', bind);
  session.on('bind_receiver', bind);
  session.on('unbind', (pdu) => {
    session.bound = null;
    session.send(pdu.response());
    emit({ event: 'unbind' });
    session.close();
  });
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('generic_nack', (pdu) => emit({ event: 'generic_nack', status: pdu.command_status }));
  session.on('submit_sm', (pdu) => {
    if (throttle > 0) {
      throttle -= 1;
      session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
      emit({ event: 'throttled' });
      return;
    }
    const messageId = (nextId++).toString(16).padStart(8, '0');
    session.send(pdu.response({ message_id: messageId }));
    loopAnswered(pdu.destination_addr);
    if (quiet) return;
    const tlvs = {};
    for (const k of ['sar_msg_ref_num', 'sar_total_segments', 'sar_segment_seqnum', 'ussd_service_op',
      'its_session_info']) {
      if (pdu[k] !== undefined) tlvs[k] = pdu[k];
    }
    if (pdu.message_payload !== undefined) tlvs.message_payload_hex = toHex(pdu.message_payload);
    emit({ event: 'submit', message_id: messageId, source_addr: pdu.source_addr,
      destination_addr: pdu.destination_addr, data_coding: pdu.data_coding, esm_class: pdu.esm_class,
      registered_delivery: pdu.registered_delivery, short_message_hex: toHex(pdu.short_message) || '', tlvs });
  });
});

server.listen(Number(process.env.SMSC_PORT || 0), '127.0.0.1', () => {
  emit({ event: 'listening', port: server.address().port });
});

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line);
  if (cmd.cmd === 'deliver') deliver(cmd.fields);
  else if (cmd.cmd === 'throttle') throttle = cmd.n;
  else if (cmd.cmd === 'drop') sessions.forEach((s) => s.destroy());
  else if (cmd.cmd === 'enquire') {
    sessions.forEach((s) => s.enquire_link((r) => emit({ event: 'enquire_link_resp', status: r.command_status })));
  } else if (cmd.cmd === 'unbind') {
    sessions.forEach((s) => s.unbind((r) => emit({ event: 'unbind_resp', status: r.command_status })));
  } else if (cmd.cmd === 'loop') {
    loop = { n: cmd.n, window: cmd.window, text_hex: cmd.text_hex, prefix: cmd.prefix || '86139',
      dest: cmd.dest || '10086', sent: 0, done: 0, open: new Set(), started: Date.now() };
    loopNext();
  } else if (cmd.cmd === 'loop_status') {
    emit({ event: 'loop_status', active: loop !== null, sent: loop ? loop.sent : 0, done: loop ? loop.done : 0,
      open: loop ? [...loop.open].slice(0, 10) : [],
      sessions: [...sessions].map((x) => ({ port: x.socket.remotePort, bound: x.bound, writable: x.socket.writable,
        delivered: x.delivered || 0, answered: x.answered || 0 })) });
  } else if (cmd.cmd === 'burst') {
    startBurst(cmd);
  }
}).on('close', () => process.exit(0));
