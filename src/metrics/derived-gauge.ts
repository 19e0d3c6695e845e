import type { Registry } from "prom-client";

export type Sample = { labels: Record<string, string>; value: number };

/**
 * A gauge whose samples are computed at scrape time from the monitor's current state, instead
 * of being set on every change. Series of a removed bot vanish by themselves, and no per-label
 * bookkeeping runs on the sweep path. prom-client's Registry renders any object with
 * name/help/type/get(), which is all this is.
 */
export class DerivedGauge {
  readonly type = "gauge";
  readonly aggregator = "sum";

  readonly name: string;
  readonly help: string;
  private readonly samples: () => Iterable<Sample>;

  constructor(name: string, help: string, samples: () => Iterable<Sample>, registry: Registry) {
    this.name = name;
    this.help = help;
    this.samples = samples;
    registry.registerMetric(this as never);
  }

  get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: [...this.samples()] };
  }
}
