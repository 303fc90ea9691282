// Apache Avro for Java from Maven Central (mvn, once), cached beside the Kafka jars: what the
// interoperability tests run plain Java consumers with. Test-only: nothing ships it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheRoot } from './kafka.mjs';

export const AVRO_JAVA_VERSION = '1.12.0';

function pom(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.eventsmith.cache</groupId>
  <artifactId>avro-java-jars</artifactId>
  <version>${AVRO_JAVA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.avro</groupId><artifactId>avro</artifactId><version>${AVRO_JAVA_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>2.0.13</version></dependency>
  </dependencies>
</project>
`;
}

/** The folder holding Avro's jars and their dependencies; downloads them the first time. */
export function ensureAvroJavaJars(): string {
  const dir = path.join(cacheRoot(), `avro-java-${AVRO_JAVA_VERSION}`);
  const libs = path.join(dir, 'libs');
  const marker = path.join(dir, 'complete');
  if (existsSync(marker)) return libs;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'pom.xml'), pom());
  const staging = path.join(dir, `libs.partial-${process.pid}`);
  const r = spawnSync(process.env['EVENTSMITH_MVN'] ?? 'mvn', ['-B', '-q', '-f', path.join(dir, 'pom.xml'), 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fetching Apache Avro ${AVRO_JAVA_VERSION} for Java failed:\n${r.stdout}${r.stderr}`);
  rmSync(libs, { recursive: true, force: true });
  renameSync(staging, libs);
  writeFileSync(marker, `${readdirSync(libs).join('\n')}\n`);
  return libs;
}
