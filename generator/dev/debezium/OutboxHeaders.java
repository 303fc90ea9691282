// A Kafka Connect SMT shipped with eventsmith: run after Debezium's outbox EventRouter, it turns the
// outbox row's `headers` column (a flat JSON object, which the EventRouter can only copy into ONE
// header) into one Kafka header per key, named as the eventsmith relay names them: `ce_<name>` for a
// CloudEvents attribute name (lower-case letters and digits), the key itself otherwise. It also drops
// a `content-type` header whose column was NULL, which the relay does not send.
//
// Build: javac --release 17 -cp '<connect-api jar>' -d classes OutboxHeaders.java, then jar it with
// META-INF/services/org.apache.kafka.connect.transforms.Transformation naming this class, and put the
// jar beside the Debezium connector in the worker's plugin.path. `node generator/dev/debezium.mjs smt`
// does this and prints the jar's path.
package dev.eventsmith.debezium;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.header.Headers;
import org.apache.kafka.connect.transforms.Transformation;

public final class OutboxHeaders<R extends ConnectRecord<R>> implements Transformation<R> {
  public static final String HEADER_CONFIG = "header";
  private static final String CONTENT_TYPE = "content-type";
  private static final ConfigDef CONFIG = new ConfigDef()
      .define(HEADER_CONFIG, ConfigDef.Type.STRING, "eventsmith-headers", ConfigDef.Importance.MEDIUM,
          "The header the EventRouter placed the outbox `headers` column in (table.fields.additional.placement).");

  private String header = "eventsmith-headers";

  @Override
  public void configure(Map<String, ?> props) {
    header = new AbstractConfig(CONFIG, props).getString(HEADER_CONFIG);
  }

  @Override
  public R apply(R record) {
    Headers in = record.headers();
    if (in.lastWithName(header) == null && !nullHeader(in.lastWithName(CONTENT_TYPE))) return record;
    Headers out = in.duplicate();
    Header json = out.lastWithName(header);
    out.remove(header);
    if (nullHeader(out.lastWithName(CONTENT_TYPE))) out.remove(CONTENT_TYPE);
    if (json != null && json.value() != null) {
      for (Map.Entry<String, String> e : parseObject(json.value().toString()).entrySet()) {
        String name = e.getKey();
        out.addString(isAttributeName(name) ? "ce_" + name : name, e.getValue());
      }
    }
    return record.newRecord(record.topic(), record.kafkaPartition(), record.keySchema(), record.key(),
        record.valueSchema(), record.value(), record.timestamp(), out);
  }

  private static boolean nullHeader(Header h) {
    return h != null && h.value() == null;
  }

  /** The relay's rule (runtime/cloudevents.ts isAttributeName). */
  static boolean isAttributeName(String name) {
    if (name.isEmpty()) return false;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
    }
    return true;
  }

  /** A flat JSON object of string values (what the outbox writes); other scalars keep their text. */
  static Map<String, String> parseObject(String text) {
    Parser p = new Parser(text);
    Map<String, String> out = new LinkedHashMap<>();
    p.skip();
    p.expect('{');
    p.skip();
    if (p.peek() == '}') return out;
    for (;;) {
      p.skip();
      String key = p.string();
      p.skip();
      p.expect(':');
      p.skip();
      out.put(key, p.peek() == '"' ? p.string() : p.scalar());
      p.skip();
      if (p.peek() == ',') {
        p.pos++;
        continue;
      }
      p.expect('}');
      return out;
    }
  }

  private static final class Parser {
    final String s;
    int pos;

    Parser(String s) {
      this.s = s;
    }

    char peek() {
      if (pos >= s.length()) throw new DataException("eventsmith OutboxHeaders: truncated JSON in the headers column");
      return s.charAt(pos);
    }

    void skip() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
    }

    void expect(char c) {
      if (peek() != c) throw new DataException("eventsmith OutboxHeaders: expected '" + c + "' at " + pos + " of the headers column (a flat JSON object)");
      pos++;
    }

    String scalar() {
      int start = pos;
      while (pos < s.length() && ",} \t\r\n".indexOf(s.charAt(pos)) < 0) {
        if ("{[".indexOf(s.charAt(pos)) >= 0) throw new DataException("eventsmith OutboxHeaders: header values must be strings, not objects or arrays");
        pos++;
      }
      return s.substring(start, pos);
    }

    String string() {
      expect('"');
      StringBuilder b = new StringBuilder();
      for (;;) {
        char c = peek();
        pos++;
        if (c == '"') return b.toString();
        if (c != '\\') {
          b.append(c);
          continue;
        }
        char e = peek();
        pos++;
        switch (e) {
          case 'b': b.append('\b'); break;
          case 'f': b.append('\f'); break;
          case 'n': b.append('\n'); break;
          case 'r': b.append('\r'); break;
          case 't': b.append('\t'); break;
          case 'u':
            if (pos + 4 > s.length()) throw new DataException("eventsmith OutboxHeaders: truncated \\u escape");
            b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
            pos += 4;
            break;
          default: b.append(e);
        }
      }
    }
  }

  @Override
  public ConfigDef config() {
    return CONFIG;
  }

  @Override
  public void close() {}
}
