// The example's load driver talks HTTP with node:http over kept-alive connections, not fetch:
// this measures why. A local server and both clients in one process, 3,000 POSTs of an order
// body 16 at a time per side, sides alternated three times; CPU (user + system) of the process
// per request, so the server's share is the same on both sides.
// Usage: node bench/http-client.mjs
import http from 'node:http';

const REQUESTS = 3000;
const IN_FLIGHT = 16;

const server = http.createServer((req, res) => {
  let text = '';
  req.on('data', (d) => (text += d));
  req.on('end', () => {
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, length: text.length }));
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/orders`;
const body = JSON.stringify({
  orderId: '0190f5e2-7d1c-7b3a-9f00-000000000001',
  customerId: 'customer-1',
  items: [{ productId: 'sku-100', quantity: 2, unitPrice: { amount: '12.34', currency: 'USD' } }],
  shippingAddress: { line1: '1 Example Street', line2: null, city: 'Springfield', postalCode: '10000', country: 'US' },
});
const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

function viaHttp() {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function viaFetch() {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return JSON.parse(await res.text());
}

async function run(request) {
  const cpu0 = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < REQUESTS) await request();
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / REQUESTS;
}

const results = { fetch: [], 'node:http': [] };
for (let round = 0; round < 3; round++) {
  results.fetch.push(await run(viaFetch));
  results['node:http'].push(await run(viaHttp));
}
for (const [name, us] of Object.entries(results)) console.log(`${name.padEnd(9)} µs of CPU per request: ${us.map((x) => x.toFixed(0)).join(', ')}`);
server.close();
agent.destroy();
