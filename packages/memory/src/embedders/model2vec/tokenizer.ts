/**
 * A WordPiece tokenizer read from a Hugging Face tokenizer.json (the format `tokenizers`
 * saves): added tokens, then the normalizer, the pre-tokenizer and the WordPiece model.
 * Encoding never adds special tokens ([CLS], [SEP]): model2vec encodes with
 * add_special_tokens=False, and a static model has no use for them.
 *
 * WordPiece (huggingface/tokenizers models/wordpiece, and BERT's original tokenization.py):
 * each word longer than max_input_chars_per_word characters becomes the unknown token;
 * otherwise it is cut greedily, longest match first, from the left: the first piece is looked
 * up as is, every later piece with continuing_subword_prefix ("##") in front. If some position
 * has no match at all, the whole word becomes the unknown token, not just that piece.
 */
import {
  buildNormalizer,
  buildPreTokenizer,
  type Normalize,
  type PreTokenize,
  UnsupportedTokenizerError,
} from './normalize.js';

export interface Token {
  token: string;
  /** Undefined only for the unknown token when the vocabulary lacks it. */
  id: number | undefined;
}

interface AddedToken {
  content: string;
  id: number;
  special: boolean;
}

export class WordPieceTokenizer {
  /** Token → id, the model's vocabulary plus added tokens. */
  readonly vocab: ReadonlyMap<string, number>;
  readonly unkToken: string;
  readonly unkId: number | undefined;
  /** The largest id plus one: how many rows the embedding matrix needs at least. */
  readonly idLimit: number;
  private readonly prefix: string;
  private readonly maxCharsPerWord: number;
  private readonly normalize: Normalize;
  private readonly preTokenize: PreTokenize;
  /** Longest first, so an added token never loses to a shorter one that is its prefix. */
  private readonly addedTokens: AddedToken[];
  /** First characters of the added tokens: most positions in a text are ruled out at once. */
  private readonly addedStarts: Set<string>;

  private constructor(options: {
    vocab: Map<string, number>;
    unkToken: string;
    prefix: string;
    maxCharsPerWord: number;
    normalize: Normalize;
    preTokenize: PreTokenize;
    addedTokens: AddedToken[];
  }) {
    this.vocab = options.vocab;
    this.unkToken = options.unkToken;
    this.unkId = options.vocab.get(options.unkToken);
    this.prefix = options.prefix;
    this.maxCharsPerWord = options.maxCharsPerWord;
    this.normalize = options.normalize;
    this.preTokenize = options.preTokenize;
    this.addedTokens = options.addedTokens.sort((a, b) => b.content.length - a.content.length);
    this.addedStarts = new Set(this.addedTokens.map((added) => added.content[0] ?? ''));
    let limit = 0;
    for (const id of options.vocab.values()) limit = Math.max(limit, id + 1);
    this.idLimit = limit;
  }

  /** Reads a parsed tokenizer.json; `source` names the file in errors. */
  static fromJson(json: unknown, source: string): WordPieceTokenizer {
    if (typeof json !== 'object' || json === null)
      throw new TokenizerFormatError(source, 'not a JSON object');
    const {
      model,
      normalizer,
      pre_tokenizer: preTokenizer,
      added_tokens: added,
    } = json as Record<string, unknown>;
    if (typeof model !== 'object' || model === null)
      throw new TokenizerFormatError(source, 'no "model" section');
    const spec = model as Record<string, unknown>;
    // `tokenizers` writes the type; very old files omit it, and only WordPiece has these keys.
    const type = spec.type ?? ('continuing_subword_prefix' in spec ? 'WordPiece' : undefined);
    if (type !== 'WordPiece') throw new UnsupportedTokenizerError(source, `model ${JSON.stringify(type)}`);

    const vocab = new Map<string, number>();
    if (typeof spec.vocab !== 'object' || spec.vocab === null || Array.isArray(spec.vocab)) {
      throw new TokenizerFormatError(source, 'model.vocab is not an object of token → id');
    }
    for (const [token, id] of Object.entries(spec.vocab)) {
      if (!isId(id))
        throw new TokenizerFormatError(source, `vocab id of ${JSON.stringify(token)} is not an id`);
      vocab.set(token, id);
    }
    const addedTokens: AddedToken[] = [];
    for (const entry of Array.isArray(added) ? added : []) {
      const { content, id, special } = (entry ?? {}) as Record<string, unknown>;
      if (typeof content !== 'string' || content === '' || !isId(id)) {
        throw new TokenizerFormatError(source, `added token ${JSON.stringify(entry)} lacks content or id`);
      }
      addedTokens.push({ content, id, special: special === true });
      if (!vocab.has(content)) vocab.set(content, id);
    }

    return new WordPieceTokenizer({
      vocab,
      unkToken: typeof spec.unk_token === 'string' ? spec.unk_token : '[UNK]',
      prefix: typeof spec.continuing_subword_prefix === 'string' ? spec.continuing_subword_prefix : '##',
      maxCharsPerWord: isId(spec.max_input_chars_per_word) ? spec.max_input_chars_per_word : 100,
      normalize: buildNormalizer(normalizer, source),
      preTokenize: buildPreTokenizer(preTokenizer, source),
      addedTokens,
    });
  }

  /** The tokens of a text, without special tokens; unknown words appear as the unknown token. */
  tokenize(text: string): Token[] {
    const out: Token[] = [];
    for (const segment of this.splitAddedTokens(text)) {
      if (typeof segment !== 'string') {
        // Special tokens typed into the text carry no meaning for a static model: drop them.
        if (!segment.special) out.push({ token: segment.content, id: segment.id });
        continue;
      }
      for (const word of this.preTokenize(this.normalize(segment))) this.wordPiece(word, out);
    }
    return out;
  }

  /**
   * Added tokens are matched in the raw text before normalization, as `tokenizers` does for
   * the BERT special tokens (normalized: false), so "[CLS]" is one token, not "[", "cl", …
   */
  private splitAddedTokens(text: string): Array<string | AddedToken> {
    if (this.addedTokens.length === 0) return [text];
    const parts: Array<string | AddedToken> = [];
    let plainStart = 0;
    let i = 0;
    while (i < text.length) {
      const match = this.addedStarts.has(text[i] ?? '')
        ? this.addedTokens.find((added) => text.startsWith(added.content, i))
        : undefined;
      if (match === undefined) {
        i++;
        continue;
      }
      if (i > plainStart) parts.push(text.slice(plainStart, i));
      parts.push(match);
      i += match.content.length;
      plainStart = i;
    }
    if (plainStart < text.length) parts.push(text.slice(plainStart));
    return parts;
  }

  private wordPiece(word: string, out: Token[]): void {
    const chars = Array.from(word);
    if (chars.length > this.maxCharsPerWord) {
      out.push(this.unknown());
      return;
    }
    const pieces: Token[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let piece: Token | undefined;
      while (end > start) {
        const candidate = (start > 0 ? this.prefix : '') + chars.slice(start, end).join('');
        const id = this.vocab.get(candidate);
        if (id !== undefined) {
          piece = { token: candidate, id };
          break;
        }
        end--;
      }
      if (piece === undefined) {
        out.push(this.unknown());
        return;
      }
      pieces.push(piece);
      start = end;
    }
    out.push(...pieces);
  }

  private unknown(): Token {
    return { token: this.unkToken, id: this.unkId };
  }
}

class TokenizerFormatError extends Error {
  constructor(source: string, problem: string) {
    super(`${source} is not a valid tokenizer.json: ${problem}`);
    this.name = 'TokenizerFormatError';
  }
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
