// Backward compatibility (SPEC §2): a newer schema version must read data written with every
// earlier one. avsc's createResolver throws exactly when such a read is impossible (missing
// default for a new field, changed type, dropped enum symbol, renamed record without alias).
import type { SchemaFile } from './catalog.ts';
import { avroType } from './catalog.ts';

/** Why `reader` cannot read data written with `writer`, or null if it can. */
export function compatibilityError(reader: unknown, writer: unknown): string | null {
  try {
    avroType(reader).createResolver(avroType(writer));
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Every (newer reader, older writer) pair of a topic's versions that fails, as messages. */
export function backwardIncompatibilities(files: readonly SchemaFile[]): string[] {
  const problems: string[] = [];
  for (const reader of files) {
    for (const writer of files) {
      if (writer.version >= reader.version) continue;
      const err = compatibilityError(reader.schema, writer.schema);
      if (err !== null) problems.push(`v${reader.version} cannot read v${writer.version}: ${err}`);
    }
  }
  return problems;
}
