// The module-scope names of a domain's `sagas.ts`: what it imports from the runtime, its
// namespace imports, and what it declares per saga, reaction and sent command. The spec's own
// types are read through the `types` namespace there, so only these can clash with each other.
import type { Diagnostics } from '../core/diagnostics.js';
import type { Command, Domain } from '../core/model.js';
import { sagaNames, sagasModuleNames } from '../core/names-sagas.js';
import { NameTable } from './collisions.js';

export function checkSagaModuleNames(domain: Domain, diags: Diagnostics): void {
  const table = new NameTable(diags);
  for (const name of sagasModuleNames) table.add(name, `the import ${name} of sagas.ts`, false, domain.loc);
  const sent = new Map<string, Command>();
  for (const saga of domain.sagas) {
    table.add(sagaNames.contextType(saga.name), `the context type of saga ${saga.name}`, false, saga.loc);
    table.add(sagaNames.stepsType(saga.name), `the step events type of saga ${saga.name}`, false, saga.loc);
    table.add(sagaNames.definition(saga.name), `the definition of saga ${saga.name}`, false, saga.loc);
    table.add(sagaNames.createEngine(saga.name), `the engine factory of saga ${saga.name}`, false, saga.loc);
    table.add(sagaNames.handlers(saga.name), `the handlers of saga ${saga.name}`, false, saga.loc);
    for (const step of saga.steps) for (const s of [step.send, step.compensation?.send]) if (s) sent.set(s.command.ceType, s.command);
    for (const s of [saga.onCompleted, saga.onCompensated]) if (s) sent.set(s.command.ceType, s.command);
  }
  for (const r of domain.reactions) {
    table.add(r.name, `reaction ${r.name}`, false, r.loc);
    sent.set(r.send.command.ceType, r.send.command);
  }
  for (const c of sent.values()) table.add(sagaNames.target(c.name), `the send target of command ${c.aggregateName}.${c.name}`, false, c.loc);
}
