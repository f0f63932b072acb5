/**
 * Tells subscribers that a conversion changed. Only the id travels: subscribers read the current
 * state from the database, so every instance sees the same truth and no message can carry a
 * stale or oversized snapshot.
 */
export interface ProgressBus {
  publish(conversionId: string): void;
  subscribe(conversionId: string, listener: () => void): () => void;
  close(): Promise<void>;
}
