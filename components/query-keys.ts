/** Every React Query key of the console, in one place. */
export const queryKeys = {
  queue: (filters: Record<string, string | undefined>) => ["queue", filters] as const,
};
