npx eventsmith init          # eventsmith.config.yaml and events/shop.yaml: a Cart, ItemAdded, CartCheckedOut
npx eventsmith generate      # src/generated/shop/: types, envelopes, avro, upcasters, reducers,
                             # repository.ts, kafka.ts, sql/, docs/catalog.md (generated: never edit);
                             # your typed hooks, once the spec has any: src/eventsmith/shop/
