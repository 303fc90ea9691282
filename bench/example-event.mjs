// One event of the example as the relay publishes it: every attribute the example's envelopes
// carry (14 Kafka headers in binary mode) and 40 bytes of data. Shared by the benches that time
// what happens to a single message (bench/binding.mjs, bench/kafkajs-records.mjs).
export const EXAMPLE_EVENT = Object.freeze({
  specversion: '1.0',
  id: '7d1b4c52-3d8e-4d2a-9d1f-0a3b2c4d5e6f',
  source: 'urn:example:order-service',
  type: 'com.example.orders.inventory.stockreserved',
  time: '2026-12-07T16:10:11.123Z',
  subject: 'sku-101',
  dataschema: 'urn:eventsmith:schema:com.example.orders.inventory.stockreserved:v1',
  datacontenttype: 'application/avro',
  dataversion: 1,
  partitionkey: 'sku-101',
  correlationid: '9a1b4c52-3d8e-4d2a-9d1f-0a3b2c4d5e6f',
  causationid: '1c1b4c52-3d8e-4d2a-9d1f-0a3b2c4d5e6f',
  streamversion: '12',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
});

export const exampleData = () => Buffer.alloc(40, 7);
