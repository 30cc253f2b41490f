/** A model's SQL pieces in this schema, as prepareModel (model.ts) finds them. */
export interface ModelSql {
  key: number;
  dims: number;
  /** `embedding` typed to the model's dimensions (full precision: the distance reported). */
  column: string;
  /** The model's vector type, `<pgvector's schema>.vector(<dims>)`. */
  type: string;
  /**
   * What a search orders by: `embedding` in half precision, as the HNSW index is built on it, or
   * the full-precision column for a model too wide for HNSW (an exact scan).
   */
  order: string;
  /** The type of the query vector in that order, halfvec(<dims>) or vector(<dims>). */
  orderType: string;
  /** pgvector's cosine distance operator, schema-qualified. */
  distance: string;
  /** Whether the model has an HNSW index (its dimensions are within HNSW's). */
  hnsw: boolean;
  /** The HNSW index's operator class, schema-qualified. */
  opclass: string;
}
