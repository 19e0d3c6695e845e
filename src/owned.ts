/** What a replica keeps of the fleet-wide iterables and listeners: the bots it owns (README, "Deployment: replicas"). */
export function* filter<T>(items: Iterable<T>, keep: (item: T) => boolean): IterableIterator<T> {
  for (const item of items) if (keep(item)) yield item;
}

/** A sweep's listeners hear only of the bots this process owns (a replica's run-now of another's bot does not count). */
export function ownedOnly<R>(listener: ((name: string, result: R) => void) | undefined, owns: (name: string) => boolean) {
  return listener && ((name: string, result: R) => owns(name) && listener(name, result));
}
