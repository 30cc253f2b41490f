/**
 * `uniqueItems` in linear time. Ajv's own compares every pair of items that are not scalars
 * (n² deep comparisons): a model's array of 80,000 `{}` under a server's `uniqueItems: true`
 * would stall the process for minutes. Here each item is reduced to a canonical JSON key (object
 * keys sorted, so {"a":1,"b":2} equals {"b":2,"a":1}, as JSON Schema's equality says) and looked
 * up in a set. Items are at most as deep as the arguments may nest (checked before validation).
 */
import type { KeywordDefinition } from 'ajv';

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const uniqueItemsKeyword: KeywordDefinition = {
  keyword: 'uniqueItems',
  type: 'array',
  schemaType: 'boolean',
  errors: false,
  validate: (unique: boolean, data: unknown[]) => {
    if (!unique) return true;
    const seen = new Set<string>();
    for (const item of data) {
      const key = canonical(item);
      if (seen.has(key)) return false;
      seen.add(key);
    }
    return true;
  },
};
