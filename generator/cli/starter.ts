/** What `eventsmith init` writes: a small spec that shows every common form, and the config. */
export const starterSpec = `# yaml-language-server: $schema=../node_modules/eventsmith/schemas/eventsmith.schema.json
# An eventsmith spec: aggregates, their versioned events, and how events change state.
# Run \`npx eventsmith generate\` after every change; see README for the full DSL.
domain: com.example.shop
source: urn:example:shop-service
compatibility: BACKWARD_TRANSITIVE

types:
  Money:
    doc: An amount in a currency, exact to the cent.
    fields:
      amount: decimal(12,2)
      currency: { type: string, default: USD }

aggregates:
  Cart:
    id: uuid
    state:
      status: { enum: [open, checkedOut], default: open }
      items: { type: "string[]", default: [] }
      total: Money?
    events:
      ItemAdded:
        versions:
          - fields:
              sku: string
              price: Money
        apply:
          items: { append: $.sku }
      CartCheckedOut:
        versions:
          - fields:
              total: Money
              at: timestamp-millis
        apply:
          status: checkedOut
          total: $.total
`;

export const starterConfig = `# yaml-language-server: $schema=./node_modules/eventsmith/schemas/eventsmith.config.schema.json
version: 1
specs:
  - events/**/*.yaml
out: src/generated            # generated code: generate owns it (never edit; git-ignore it if you like)
customDir: src/eventsmith     # your typed hooks (apply/upcast/data: custom, deciders): generate only adds stubs
`;
