// The services `eventsmith dev` starts: one entry each, over the throwaway-server scripts in the
// package's generator/dev/ folder (the ones the tests, benchmarks and the example use). A service names the
// variable that points at an instance already running (then it is used, not started), says what
// is missing to start it here, and starts it. A new service is one more entry in devServices().
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as KafkaScript from '../dev/kafka.mjs';
import type * as PostgresScript from '../dev/postgres.mjs';
import type * as ProgressScript from '../dev/progress.mjs';
import type * as RegistryScript from '../dev/registry.mjs';
import type { Progress } from '../dev/progress.mjs';
import { importModule } from '../core/import-module.js';
import { packageRoot } from './package-root.js';

export interface StartedService {
  /** The variables that reach it, for the user's command. */
  readonly env: Readonly<Record<string, string>>;
  /** Deletes its data and stops it; nothing of it runs afterwards. */
  stop(): Promise<void>;
}

export interface DevService {
  readonly name: string;
  /** When set, names an instance already running, which is used instead of starting one. */
  readonly envVar: string;
  /** What is missing to start it on this machine, each with what to install; empty when nothing is. */
  missing(): readonly string[];
  start(progress: Progress): Promise<StartedService>;
}

export interface DevScripts {
  readonly postgres: typeof PostgresScript;
  readonly kafka: typeof KafkaScript;
  readonly progress: typeof ProgressScript;
  readonly registry: typeof RegistryScript;
}

/** The dev/ scripts of the installed package (found from dist/ or from source alike). */
export async function loadDevScripts(): Promise<DevScripts> {
  const load = (file: string): Promise<unknown> => importModule(pathToFileURL(path.join(packageRoot(), 'generator', 'dev', file)).href);
  const [postgres, kafka, progress, registry] = await Promise.all([load('postgres.mjs'), load('kafka.mjs'), load('progress.mjs'), load('registry.mjs')]);
  return {
    postgres: postgres as typeof PostgresScript,
    kafka: kafka as typeof KafkaScript,
    progress: progress as typeof ProgressScript,
    registry: registry as typeof RegistryScript,
  };
}

/** Whether `command` (a path, or a name looked up on PATH) can be run. */
export function executableExists(command: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const runnable = (file: string): boolean => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes(path.sep)) return runnable(command);
  return (env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && runnable(path.join(dir, command)));
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The schema registry, when the project's configuration names one (`registry:`). */
function registryService(scripts: DevScripts, env: NodeJS.ProcessEnv): DevService {
  const { registry, kafka } = scripts;
  return {
    name: 'Schema registry',
    envVar: 'SCHEMA_REGISTRY_URL',
    missing() {
      const problems: string[] = [];
      const java = kafka.resolveJava();
      if (!executableExists(java, env)) {
        problems.push(`java (${java}): a Java 17+ runtime runs the local schema registry (Apicurio Registry)\n    install one, or set SCHEMA_REGISTRY_URL to a running registry`);
      }
      const mvn = env.EVENTSMITH_MVN ?? 'mvn';
      if (!registry.registryBuilt() && !executableExists(mvn, env)) {
        problems.push(`mvn (${mvn}): Apache Maven builds the schema registry from Maven Central once, into ${registry.cacheRoot()}\n    install it, or set SCHEMA_REGISTRY_URL to a running registry`);
      }
      return problems;
    },
    async start(progress) {
      if (!registry.registryBuilt()) {
        const build = progress.step('Schema registry: building Apicurio Registry with mvn (first run only, ~40 s)');
        try {
          await registry.ensureRegistryBuild({ log: (line) => progress.line(line) });
          build.done();
        } catch (err) {
          build.fail();
          throw err;
        }
      }
      const step = progress.step('Schema registry: starting');
      try {
        const server = await registry.startRegistry({ ignoreSchemaRegistryUrl: true, log: (line) => progress.line(line) });
        step.done(`Schema registry ready at ${server.url} in ${seconds(step.elapsed())}`);
        return { env: { SCHEMA_REGISTRY_URL: server.url }, stop: () => server.stop() };
      } catch (err) {
        step.fail();
        throw err;
      }
    },
  };
}

export interface DevServiceOptions {
  /** Also a schema registry (the configuration has a `registry:` section). */
  readonly registry?: boolean;
}

export function devServices(scripts: DevScripts, env: NodeJS.ProcessEnv = process.env, options: DevServiceOptions = {}): DevService[] {
  const { postgres, kafka } = scripts;
  return [
    {
      name: 'PostgreSQL',
      envVar: 'DATABASE_URL',
      missing() {
        try {
          postgres.findPostgresBinDir();
          return [];
        } catch (err) {
          const found = err instanceof Error ? err.message.replace(/^eventsmith: /, '') : String(err);
          return [
            `PostgreSQL's server binaries (initdb, pg_ctl): ${found}\n` +
              '    install them (Debian/Ubuntu: apt-get install postgresql; Fedora: dnf install postgresql-server; macOS: brew install postgresql@15),\n' +
              '    or set PG_BINDIR to their folder, or DATABASE_URL to a running server',
          ];
        }
      },
      async start(progress) {
        const step = progress.step('PostgreSQL: initdb and start');
        try {
          const cluster = await postgres.startPostgres({ ignoreDatabaseUrl: true });
          step.done(`PostgreSQL ready on 127.0.0.1:${cluster.port ?? '?'} in ${seconds(step.elapsed())} (data in ${cluster.baseDir ?? '?'})`);
          return { env: { DATABASE_URL: cluster.url }, stop: () => cluster.stop() };
        } catch (err) {
          step.fail();
          throw err;
        }
      },
    },
    {
      name: 'Kafka',
      envVar: 'KAFKA_BROKERS',
      missing() {
        const problems: string[] = [];
        const java = kafka.resolveJava();
        if (!executableExists(java, env)) {
          problems.push(
            `java (${java}): a Java 17+ runtime runs the local Kafka broker\n` +
              '    install one (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; Fedora: dnf install java-17-openjdk-headless; macOS: brew install openjdk@17),\n' +
              '    or set JAVA_HOME, or KAFKA_BROKERS to a running broker',
          );
        }
        const mvn = env.EVENTSMITH_MVN ?? 'mvn';
        if (!kafka.kafkaJarsCached() && !executableExists(mvn, env)) {
          problems.push(
            `mvn (${mvn}): Apache Maven downloads the broker's jars from Maven Central once, into ${kafka.cacheRoot()}\n` +
              '    install it (Debian/Ubuntu: apt-get install maven; Fedora: dnf install maven; macOS: brew install maven),\n' +
              '    or set KAFKA_BROKERS to a running broker',
          );
        }
        return problems;
      },
      async start(progress) {
        if (!kafka.kafkaJarsCached()) {
          const download = progress.step(`Kafka: downloading the broker's jars with mvn (first run only)`);
          try {
            await kafka.ensureKafkaJars({ log: (line) => progress.line(line) });
            download.done();
          } catch (err) {
            download.fail();
            throw err;
          }
        }
        const step = progress.step('Kafka: starting the broker');
        try {
          const broker = await kafka.startKafka({ ignoreKafkaBrokers: true, log: (line) => progress.line(line) });
          step.done(`Kafka ${broker.version ?? ''} ready on ${broker.brokers.join(',')} in ${seconds(step.elapsed())} (data in ${broker.baseDir ?? '?'})`);
          return { env: { KAFKA_BROKERS: broker.brokers.join(',') }, stop: () => broker.stop() };
        } catch (err) {
          step.fail();
          throw err;
        }
      },
    },
    ...(options.registry === true ? [registryService(scripts, env)] : []),
  ];
}
