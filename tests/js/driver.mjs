// Drives the official @supabase/realtime-js client for tests/test_realtime_js.py.
//
// Reads one JSON command per line on stdin and writes one JSON event per line on stdout, so a Python
// test can run a JS client side by side with Python clients. Environment: RT_URL (the project URL plus
// /realtime/v1), RT_APIKEY, optional RT_VSN. Node < 22 needs --experimental-websocket.
//
// Commands  {op: 'channel', id, topic, config, listen: {broadcast: [event], presence: bool, system: bool,
//                postgres: [{event, schema, table, filter}]}}
//           {op: 'subscribe', id}  {op: 'unsubscribe', id}
//           {op: 'send', id, cmd, event, payload}  {op: 'sendBinary', id, cmd, event, bytes: [int]}
//           {op: 'httpSend', id, cmd, event, payload}  {op: 'track', id, cmd, payload}  {op: 'untrack', id, cmd}
//           {op: 'setAuth', cmd, token}  {op: 'presenceState', id, cmd}  {op: 'exit'}
// Events    {ev: 'ready'} {ev: 'status', id, status, error} {ev: 'broadcast', id, payload}
//           {ev: 'presence', id, kind: 'sync'|'join'|'leave', key, state} {ev: 'system', id, payload}
//           {ev: 'postgres', id, payload} {ev: 'result', cmd, value} {ev: 'error', message}
import readline from 'node:readline'
import { RealtimeClient } from '@supabase/realtime-js'

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

const client = new RealtimeClient(process.env.RT_URL, {
  params: { apikey: process.env.RT_APIKEY },
  ...(process.env.RT_VSN ? { vsn: process.env.RT_VSN } : {}),
})
const channels = new Map()

function plain(value) {
  // ArrayBuffers (binary broadcasts) are reported as {binary: [bytes]}
  if (value instanceof ArrayBuffer) return { binary: Array.from(new Uint8Array(value)) }
  return value
}

function makeChannel({ id, topic, config = {}, listen = {} }) {
  const channel = client.channel(topic, { config })
  for (const event of listen.broadcast ?? []) {
    channel.on('broadcast', { event }, (msg) => emit({ ev: 'broadcast', id, payload: { ...msg, payload: plain(msg.payload) } }))
  }
  if (listen.presence) {
    const state = () => channel.presenceState()
    channel.on('presence', { event: 'sync' }, () => emit({ ev: 'presence', id, kind: 'sync', state: state() }))
    channel.on('presence', { event: 'join' }, ({ key }) => emit({ ev: 'presence', id, kind: 'join', key, state: state() }))
    channel.on('presence', { event: 'leave' }, ({ key }) => emit({ ev: 'presence', id, kind: 'leave', key, state: state() }))
  }
  if (listen.system) {
    channel.on('system', {}, (payload) => emit({ ev: 'system', id, payload }))
  }
  for (const filter of listen.postgres ?? []) {
    channel.on('postgres_changes', filter, (payload) => emit({ ev: 'postgres', id, payload }))
  }
  channels.set(id, channel)
}

async function run(cmd) {
  const channel = channels.get(cmd.id)
  const result = (value) => emit({ ev: 'result', cmd: cmd.cmd, value })
  switch (cmd.op) {
    case 'channel':
      return makeChannel(cmd)
    case 'subscribe':
      return channel.subscribe((status, err) => emit({ ev: 'status', id: cmd.id, status, error: err ? err.message : null }))
    case 'unsubscribe':
      return result(await channel.unsubscribe())
    case 'send':
      return result(await channel.send({ type: 'broadcast', event: cmd.event, payload: cmd.payload }))
    case 'sendBinary':
      return result(await channel.send({ type: 'broadcast', event: cmd.event, payload: new Uint8Array(cmd.bytes).buffer }))
    case 'httpSend':
      try {
        await channel.httpSend(cmd.event, cmd.payload)
        return result('ok')
      } catch (e) {
        return result({ error: e.message })
      }
    case 'track':
      return result(await channel.track(cmd.payload))
    case 'untrack':
      return result(await channel.untrack())
    case 'setAuth':
      await client.setAuth(cmd.token)
      return result('ok')
    case 'presenceState':
      return result(channel.presenceState())
    case 'exit':
      client.disconnect()
      process.exit(0)
    default:
      throw new Error(`unknown op ${cmd.op}`)
  }
}

const lines = readline.createInterface({ input: process.stdin })
lines.on('line', (line) => {
  if (!line.trim()) return
  run(JSON.parse(line)).catch((e) => emit({ ev: 'error', message: String(e && e.stack ? e.stack : e) }))
})
lines.on('close', () => process.exit(0))
emit({ ev: 'ready', version: client.constructor.name, vsn: client.vsn ?? null })
