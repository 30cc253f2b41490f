/**
 * The k largest scores out of many, in one pass with a min-heap of size k: a candidate below
 * the heap's smallest costs one comparison, so scanning 100k scores for the best few hundred
 * is O(n) in practice.
 */
export class TopK {
  private readonly scores: Float64Array;
  private readonly ids: Float64Array;
  private size = 0;

  constructor(readonly capacity: number) {
    this.scores = new Float64Array(Math.max(1, capacity));
    this.ids = new Float64Array(Math.max(1, capacity));
  }

  /** The score a newcomer must beat once the heap is full. */
  get threshold(): number {
    return this.size < this.capacity ? Number.NEGATIVE_INFINITY : (this.scores[0] ?? 0);
  }

  push(id: number, score: number): void {
    if (this.capacity === 0) return;
    if (this.size < this.capacity) {
      let i = this.size++;
      this.scores[i] = score;
      this.ids[i] = id;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((this.scores[parent] ?? 0) <= score) break;
        this.swap(i, parent);
        i = parent;
      }
      return;
    }
    if (score <= (this.scores[0] ?? 0)) return;
    this.scores[0] = score;
    this.ids[0] = id;
    this.siftDown(0);
  }

  /** Ids in no particular order (the heap's), for a caller that ranks them again anyway. */
  unordered(): Float64Array {
    return this.ids.subarray(0, this.size);
  }

  /** Ids, best first. */
  sorted(): number[] {
    return this.order().map((i) => this.ids[i] ?? 0);
  }

  /** [id, score] pairs, best first. */
  sortedEntries(): [number, number][] {
    return this.order().map((i) => [this.ids[i] ?? 0, this.scores[i] ?? 0]);
  }

  private order(): number[] {
    const order = Array.from({ length: this.size }, (_, i) => i);
    order.sort((a, b) => (this.scores[b] ?? 0) - (this.scores[a] ?? 0));
    return order;
  }

  private siftDown(start: number): void {
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.size && (this.scores[left] ?? 0) < (this.scores[smallest] ?? 0)) smallest = left;
      if (right < this.size && (this.scores[right] ?? 0) < (this.scores[smallest] ?? 0)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const score = this.scores[a] ?? 0;
    const id = this.ids[a] ?? 0;
    this.scores[a] = this.scores[b] ?? 0;
    this.ids[a] = this.ids[b] ?? 0;
    this.scores[b] = score;
    this.ids[b] = id;
  }
}
