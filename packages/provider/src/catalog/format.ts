/** Plain-text views of catalog models for `oxydra models list` and `oxydra models show`. */
import type { ModelInfo } from './models.js';

const MISSING = '-';

/** 128000 -> "128K", 16384 -> "16.4K", 1048576 -> "1.05M". */
export function formatTokenCount(n: number | undefined): string {
  if (n === undefined) return MISSING;
  if (n >= 1_000_000) return `${trimZeros((n / 1_000_000).toFixed(2))}M`;
  if (n >= 1_000) return `${trimZeros((n / 1_000).toFixed(1))}K`;
  return String(n);
}

/** A price per million tokens: 0.15 -> "0.15", 15 -> "15", unknown -> "-". */
export function formatPrice(price: number | undefined): string {
  return price === undefined ? MISSING : trimZeros(price.toFixed(4));
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

const LIST_COLUMNS: { header: string; cell: (m: ModelInfo) => string; right?: boolean }[] = [
  { header: 'PROVIDER', cell: (m) => m.namespace },
  { header: 'MODEL', cell: (m) => m.id },
  { header: 'CONTEXT', cell: (m) => formatTokenCount(m.capabilities.contextWindow), right: true },
  { header: 'MAX OUT', cell: (m) => formatTokenCount(m.capabilities.maxOutputTokens), right: true },
  { header: 'IN $/M', cell: (m) => formatPrice(m.prices?.input), right: true },
  { header: 'OUT $/M', cell: (m) => formatPrice(m.prices?.output), right: true },
  { header: 'CACHE R', cell: (m) => formatPrice(m.prices?.cacheRead), right: true },
  { header: 'CACHE W', cell: (m) => formatPrice(m.prices?.cacheWrite), right: true },
  { header: 'TOOLS', cell: (m) => yesNo(m.capabilities.supportsTools) },
  { header: 'REASONING', cell: (m) => yesNo(m.capabilities.supportsReasoning) },
  { header: 'INPUT', cell: (m) => m.capabilities.inputModalities.join(',') },
];

/** One row per model under a header; prices are US dollars per million tokens. */
export function formatModelList(models: readonly ModelInfo[]): string {
  if (models.length === 0) return 'no models\n';
  const rows = [LIST_COLUMNS.map((c) => c.header), ...models.map((m) => LIST_COLUMNS.map((c) => c.cell(m)))];
  const widths = LIST_COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, i) => {
        if (i === row.length - 1) return cell;
        return LIST_COLUMNS[i]!.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join('  '),
  );
  lines.push('', `${models.length} model${models.length === 1 ? '' : 's'}; prices in US$ per million tokens`);
  return `${lines.join('\n')}\n`;
}

const exact = (n: number | undefined) =>
  n === undefined ? 'unknown' : `${n.toLocaleString('en-US')} tokens`;

/** Every known fact about one model, one per line. */
export function formatModelDetails(model: ModelInfo): string {
  const caps = model.capabilities;
  const prices = model.prices;
  const fields: [string, string | undefined][] = [
    ['provider', model.namespace],
    ['context window', exact(caps.contextWindow)],
    ['max output', exact(caps.maxOutputTokens)],
    ['max input', model.maxInputTokens === undefined ? undefined : exact(model.maxInputTokens)],
    ['input modalities', caps.inputModalities.join(', ')],
    ['attachments', yesNo(model.supportsAttachments)],
    ['tools', yesNo(caps.supportsTools)],
    ['reasoning', yesNo(caps.supportsReasoning)],
    [
      'prices (US$ per 1M)',
      prices
        ? `input ${formatPrice(prices.input)}, output ${formatPrice(prices.output)}, cache read ${formatPrice(prices.cacheRead)}, cache write ${formatPrice(prices.cacheWrite)}`
        : 'unknown',
    ],
    ['knowledge cutoff', model.knowledge],
    ['released', model.releaseDate],
    ['last updated', model.lastUpdated],
    ['status', model.status],
    ['catalog source', model.source],
    ['note', model.known ? undefined : 'not in the model catalog: capabilities are assumed'],
  ];
  const shown = fields.filter((f): f is [string, string] => f[1] !== undefined);
  const width = Math.max(...shown.map(([label]) => label.length)) + 1;
  const title = model.name && model.name !== model.id ? `${model.id} (${model.name})` : model.id;
  return `${[title, ...shown.map(([label, value]) => `  ${`${label}:`.padEnd(width)} ${value}`)].join('\n')}\n`;
}
